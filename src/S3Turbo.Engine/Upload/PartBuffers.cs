namespace S3Turbo.Engine.Upload;

/// <summary>The part buffers of one upload stream: whole part buffers are reused (a part that has gone up gives its
/// buffer to the next one), a buffer of another size (parts grow every 900 parts) is left to the GC, and what is held,
/// at most and in all is counted, so a test can hold the stream to its memory bound.</summary>
sealed class PartBuffers
{
    readonly object _gate = new();
    readonly Stack<byte[]> _free = new();
    long _allocated, _held, _peakHeld;

    /// <summary>Bytes of buffers held now (filling, queued or uploading).</summary>
    public long Held { get { lock (_gate) return _held; } }
    /// <summary>The most buffer bytes held at once.</summary>
    public long PeakHeld { get { lock (_gate) return _peakHeld; } }
    /// <summary>Buffer bytes allocated over the stream's life.</summary>
    public long Allocated { get { lock (_gate) return _allocated; } }

    public byte[] Take(long size)
    {
        lock (_gate)
        {
            while (_free.TryPeek(out var free) && free.Length != size) _free.Pop(); // outgrown: let the GC have it
            if (!_free.TryPop(out var buffer))
            {
                buffer = GC.AllocateUninitializedArray<byte>(checked((int)Math.Min(size, Array.MaxLength)));
                _allocated += buffer.Length;
            }
            _held += buffer.Length;
            _peakHeld = Math.Max(_peakHeld, _held);
            return buffer;
        }
    }

    /// <summary>Gives a buffer back for reuse.</summary>
    public void Return(byte[] buffer)
    {
        lock (_gate) { _held -= buffer.Length; _free.Push(buffer); }
    }

    /// <summary>Lets go of a buffer that is not reused (a first buffer smaller than a part, once outgrown).</summary>
    public void Drop(byte[] buffer)
    {
        lock (_gate) _held -= buffer.Length;
    }

    /// <summary>The end of the upload: the free buffers go to the GC.</summary>
    public void Clear()
    {
        lock (_gate) _free.Clear();
    }
}
