namespace S3Turbo.Engine.Upload;

/// <summary>The size and write time of a file when it was picked up; compared again before the last byte of
/// every part leaves, so a file that changes during the upload is never stored as a mix of two versions.</summary>
public readonly record struct FileSnapshot(long Length, DateTime LastWriteTimeUtc)
{
    public static FileSnapshot Of(FileInfo file) => new(file.Length, file.LastWriteTimeUtc);

    public void EnsureUnchanged(string path)
    {
        var now = new FileInfo(path);
        if (!now.Exists)
            throw new S3TurboException(ErrorIds.SourceChanged, FailureKind.InvalidData, $"'{path}' was deleted while it was being uploaded.", path);
        if (now.Length != Length || now.LastWriteTimeUtc != LastWriteTimeUtc)
            throw new S3TurboException(ErrorIds.SourceChanged, FailureKind.InvalidData,
                $"'{path}' changed while it was being uploaded (size {Length} → {now.Length}, modified {LastWriteTimeUtc:O} → {now.LastWriteTimeUtc:O}); it was not stored.", path);
    }
}

/// <summary>A seekable read-only view of [offset, offset+length) of a file, read straight from disk (no part
/// buffers). Before it hands out the segment's final bytes it checks the file against its snapshot and throws
/// if it changed: the request then fails before its body is complete, so the store keeps nothing.</summary>
public sealed class FileSegmentStream : Stream
{
    readonly FileStream _file;
    readonly string _path;
    readonly long _offset;
    readonly long _length;
    readonly FileSnapshot _snapshot;
    long _position;

    public FileSegmentStream(string path, long offset, long length, FileSnapshot snapshot)
    {
        _path = path; _offset = offset; _length = length; _snapshot = snapshot;
        // Small OS-level buffer: the SDK reads in its own chunks; FileShare lets other parts read concurrently.
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? Math.Min(value, _length) : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    // Stream declares this virtual on .NET Core only; on net472 (Windows PowerShell 5.1) it is a plain method.
#if NET
    public override int Read(Span<byte> buffer)
#else
    public int Read(Span<byte> buffer)
#endif
    {
        int wanted = (int)Math.Min(buffer.Length, _length - _position);
        if (wanted <= 0) return 0;
        _file.Position = _offset + _position;
        int read = _file.Read(buffer[..wanted]);
        return Account(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Stream declares this virtual on .NET Core only; on net472 (Windows PowerShell 5.1) it is a plain method.
#if NET
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
#else
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
#endif
    {
        int wanted = (int)Math.Min(buffer.Length, _length - _position);
        if (wanted <= 0) return 0;
        _file.Position = _offset + _position;
        int read = await _file.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false);
        return Account(read);
    }

    int Account(int read)
    {
        if (read == 0)
            throw new S3TurboException(ErrorIds.SourceChanged, FailureKind.InvalidData,
                $"'{_path}' was truncated while it was being uploaded (expected {_snapshot.Length} bytes); it was not stored.", _path);
        if (_position + read == _length) _snapshot.EnsureUnchanged(_path);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }
}
