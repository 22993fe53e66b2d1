using S3Turbo.Engine.Connection;
using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine;
using S3Turbo.Engine.Upload;

namespace S3Turbo;

public sealed class UploadStreamOptions
{
    public required string BucketName { get; init; }
    public required string Key { get; init; }
    /// <summary>The first part's size (default 8 MiB, at least 5 MiB). With an unknown total, parts double in
    /// size every 900 parts, so any stream up to S3's 5 TiB limit fits in 10,000 parts.</summary>
    public long PartSize { get; init; } = PartSizing.DefaultPartSize;
    /// <summary>Full parts buffered or uploading at once; a writer that gets this far ahead waits.</summary>
    public int MaxPartsInFlight { get; init; } = 4;
    /// <summary>When known, the part size is chosen up front so the stream fits in 10,000 parts.</summary>
    public long? ExpectedSize { get; init; }
    public ObjectSettings Settings { get; init; } = new();
    /// <summary>-MaxBytesPerSecond: a cap on the bytes the stream sends, or null.</summary>
    public long? MaxBytesPerSecond { get; init; }
    /// <summary>Also compare every ETag with an MD5 of the bytes written (about 1.4 CPU s/GiB), even where the store
    /// already proved them by their checksum (see UploadProof).</summary>
    public bool AlwaysCompareMd5 { get; init; }

    public void Validate()
    {
        BucketNames.Validate(BucketName);
        if (string.IsNullOrEmpty(Key))
            throw new S3TurboException(ErrorIds.InvalidKey, FailureKind.InvalidArgument, "-Key is empty: an object needs a key.", Key);
        if (KeyMapper.CheckLength(Key, "The key", Key) is { } tooLong) throw tooLong;
        PartSizing.Validate(PartSize);
        if (MaxPartsInFlight is < 1 or > 64)
            throw new S3TurboException(ErrorIds.InvalidConcurrency, FailureKind.InvalidArgument, $"-MaxPartsInFlight {MaxPartsInFlight} must be between 1 and 64.", MaxPartsInFlight);
        if (ExpectedSize is < 0 or > PartSizing.MaxObjectSize)
            throw new S3TurboException(ErrorIds.InvalidPartSize, FailureKind.InvalidArgument, $"-ExpectedSize {ExpectedSize} must be between 0 and 5 TiB.", ExpectedSize);
    }
}

/// <summary>A write-only stream that uploads to S3 while it is written (S3Turbo.S3UploadStream). Full parts are
/// uploaded in the background while writing goes on; at most MaxPartsInFlight full parts are held, so a writer
/// faster than the network waits instead of growing memory: peak buffer memory is (MaxPartsInFlight + 1) × the
/// part size. Data smaller than one part goes up as one PutObject. Dispose/Close/Complete finish the upload;
/// Abort, a part that fails beyond the SDK's retries, or a stop aborts it, so no partial object and no orphaned
/// parts are left. Every part goes with its checksum (UploadProof: CRC64NVME by default, which the store verifies, or
/// an MD5 compared with its ETag where the store does not), and the object as a whole is complete only with the
/// whole object's checksum (FULL_OBJECT: the parts' CRCs combined), which the store checks before it makes the object.</summary>
public sealed class S3UploadStream : Stream
{
    readonly IAmazonS3 _s3;
    readonly UploadStreamOptions _options;
    readonly RequestBudget _budget;
    readonly bool _ownsBudget;
    readonly CancellationTokenSource _cancel;
    // Part requests already sent are let finish when the upload stops (for at most InFlightGrace), and the upload is
    // aborted after they have: a part the server was still storing when the abort came would otherwise land after it
    // and leave the upload listed (seen on Ceph when a pipeline was stopped with parts in flight).
    readonly CancellationTokenSource _sentParts = new();
    static readonly TimeSpan InFlightGrace = TimeSpan.FromSeconds(30);
    volatile bool _cancelledByCaller;
    readonly SemaphoreSlim _slots;
    readonly PartBuffers _buffers = new();
    readonly List<Task<PartETag>> _parts = new();
    readonly List<PartSent> _partsSent = new();
    readonly UploadProof _proof;
    readonly Stopwatch _clock = new();
    readonly object _gate = new();
    readonly long _basePartSize;
    MultipartUploadSession? _multipart;
    Task? _starting;
    byte[]? _current;
    int _filled;
    long _position;
    int _partNumber;
    Exception? _failure;
    UploadResult? _result;
    bool _aborted;
    Task? _abortAfterFailure;

    public S3UploadStream(S3Connection connection, UploadStreamOptions options, CancellationToken cancellationToken = default)
        : this(connection.Client, options, cancellationToken) { }

    /// <summary>A stream with a request budget of its own: one slot per part in flight, plus Initiate/Complete/Abort.</summary>
    public S3UploadStream(IAmazonS3 s3, UploadStreamOptions options, CancellationToken cancellationToken = default)
        : this(OwnBudget(s3, options), ownsBudget: true, options, cancellationToken) { }

    /// <summary>Validated first: the budget is sized from the options, and a bad value must be named as itself.</summary>
    static RequestBudget OwnBudget(IAmazonS3 s3, UploadStreamOptions options)
    {
        options.Validate();
        return new RequestBudget(s3, options.MaxPartsInFlight + 1, maxBytesPerSecond: options.MaxBytesPerSecond);
    }

    /// <summary>A stream whose requests go through a run's budget (the index objects of Get-S3TarIndex).</summary>
    public S3UploadStream(RequestBudget budget, UploadStreamOptions options, CancellationToken cancellationToken = default)
        : this(budget, ownsBudget: false, options, cancellationToken) { }

    S3UploadStream(RequestBudget budget, bool ownsBudget, UploadStreamOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        _budget = budget;
        _ownsBudget = ownsBudget;
        _s3 = budget.Client;
        _options = options;
        _basePartSize = options.ExpectedSize is long expected ? PartSizing.ChoosePartSize(expected, options.PartSize) : options.PartSize;
        _slots = new SemaphoreSlim(options.MaxPartsInFlight);
        _proof = new UploadProof(_s3, options.Settings.Checksum, options.AlwaysCompareMd5);
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public string BucketName => _options.BucketName;
    public string Key => _options.Key;
    /// <summary>Bytes of part buffers currently held (filling, queued or uploading).</summary>
    public long BufferedBytes => _buffers.Held;
    /// <summary>The most part-buffer bytes ever held at once; bounded by (MaxPartsInFlight + 1) × part size (plus the
    /// 64 KiB first buffer, for a moment).</summary>
    public long PeakBufferedBytes => _buffers.PeakHeld;
    /// <summary>Bytes of part buffers allocated over the stream's life (buffers are reused).</summary>
    public long AllocatedBufferBytes => _buffers.Allocated;
    public int PartsStarted => _partNumber;
    /// <summary>Set once the upload completed.</summary>
    public UploadResult? Result => _result;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => _result is null && !_aborted && _failure is null;
    public override long Length => throw new NotSupportedException("An S3UploadStream cannot report a length: it is written once, front to back.");
    public override long Position { get => _position; set => throw new NotSupportedException("An S3UploadStream cannot seek."); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("An S3UploadStream is write-only.");
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("An S3UploadStream cannot seek.");
    public override void SetLength(long value) => throw new NotSupportedException("An S3UploadStream cannot change its length.");
    public override void Flush() { } // parts go up when full; Complete sends the rest

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    // Stream declares this virtual on .NET Core only; on net472 (Windows PowerShell 5.1) it is a plain method.
#if NET
    public override void Write(ReadOnlySpan<byte> buffer)
#else
    public void Write(ReadOnlySpan<byte> buffer)
#endif
    {
        while (!buffer.IsEmpty)
        {
            // A full part is sent only when more data follows, so data of exactly one part is still one PutObject.
            if (_current is not null && _filled == _current.Length && !TryGrowCurrent()) SubmitCurrentAsync().GetAwaiter().GetResult();
            buffer = buffer[Fill(buffer)..];
        }
    }

    public override void WriteByte(byte value)
    {
        Span<byte> one = stackalloc byte[] { value };
        Write(one);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Stream declares this virtual on .NET Core only; on net472 (Windows PowerShell 5.1) it is a plain method.
#if NET
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
#else
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
#endif
    {
        using var link = cancellationToken.CanBeCanceled ? cancellationToken.Register(() => _cancel.Cancel()) : default;
        while (!buffer.IsEmpty)
        {
            if (_current is not null && _filled == _current.Length && !TryGrowCurrent()) await SubmitCurrentAsync().ConfigureAwait(false);
            buffer = buffer[Fill(buffer.Span)..];
        }
    }

    int Fill(ReadOnlySpan<byte> data)
    {
        ThrowIfUnusable();
        _clock.Start();
        _current ??= _buffers.Take(_partNumber == 0 ? Math.Min(FirstBufferBytes, PartSizeFor(1)) : PartSizeFor(_partNumber + 1));
        int n = Math.Min(data.Length, _current.Length - _filled);
        data[..n].CopyTo(_current.AsSpan(_filled));
        _filled += n;
        _position += n;
        if (_position > PartSizing.MaxObjectSize)
            Fail(new S3TurboException(ErrorIds.InvalidPartSize, FailureKind.InvalidArgument,
                $"s3://{BucketName}/{Key}: more than 5 TiB was written, S3's maximum object size.", Key));
        return n;
    }

    long PartSizeFor(int partNumber) => PartSizing.GrowingPartSize(_basePartSize, partNumber);

    /// <summary>The first part's buffer starts at this size and becomes a whole part's only when more is written, so a
    /// small stream (one of the hundreds of per-archive indexes a worker writes) never takes a whole part's buffer.</summary>
    public const int FirstBufferBytes = 64 * 1024;

    /// <summary>Moves a full first buffer smaller than a part into a whole part's; false when it is a whole part.</summary>
    bool TryGrowCurrent()
    {
        long partSize = PartSizeFor(_partNumber + 1);
        if (_current!.Length >= partSize) return false;
        var larger = _buffers.Take(partSize);
        _current.AsSpan(0, _filled).CopyTo(larger);
        _buffers.Drop(_current); // not pooled: only whole part buffers are reused
        _current = larger;
        return true;
    }

    /// <summary>Gives back the part buffer being filled, if any.</summary>
    void ReleaseCurrent()
    {
        if (_current is null) return;
        _buffers.Return(_current);
        _current = null;
    }

    /// <summary>Hands the full buffer to a background part upload, first waiting for a slot (back-pressure).</summary>
    async Task SubmitCurrentAsync()
    {
        var buffer = _current!;
        int length = _filled;
        _current = null;
        _filled = 0;
        try
        {
            if (_multipart is null)
            {
                await ProbeAsync().ConfigureAwait(false);
                _multipart = new MultipartUploadSession(_budget, BucketName, Key);
                var initiate = new InitiateMultipartUploadRequest { BucketName = BucketName, Key = Key };
                _proof.Initiate(initiate);
                _options.Settings.ApplyTo(initiate, Key);
                // Published before the request is made: the request can reach the store before StartAsync returns its
                // task, and an abort from another thread (a stop) that found no start to wait for returned with the upload
                // still open; the start then aborted it itself, after the cmdlet had disposed the client (seen in CI).
                var started = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_gate) _starting = started.Task; // an abort from another thread waits for it
                try
                {
                    await _multipart.StartAsync(initiate, _cancel.Token).ConfigureAwait(false);
                    started.TrySetResult(true);
                }
                catch (Exception ex)
                {
                    started.TrySetException(ex);
                    throw;
                }
            }
            await _slots.WaitAsync(_cancel.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _buffers.Return(buffer);
            Fail(ex);
            ThrowIfUnusable();
            throw;
        }
        int partNumber = ++_partNumber;
        var sent = new PartSent();
        _partsSent.Add(sent);
        lock (_gate) _parts.Add(Task.Run(() => UploadPartAsync(partNumber, buffer, length, sent)));
    }

    /// <summary>Once per store and bucket: whether it verifies checksums (UploadProof), before the first request.</summary>
    Task ProbeAsync() => _proof.ProbeAsync(_budget, BucketName, KeyMapper.FolderOf(Key) + ".s3turbo-checksum-probe", _cancel.Token);

    /// <summary>What one part was sent with, for the whole object's checksum and check (each part task sets its own).</summary>
    sealed class PartSent { public SentBody? Body; }

    async Task<PartETag> UploadPartAsync(int partNumber, byte[] buffer, int length, PartSent sent)
    {
        try
        {
            // The part's bytes are sent from the buffer they were written into: no copy is made for the request.
            using var body = new MemoryStream(buffer, 0, length, writable: false);
            var request = new UploadPartRequest { InputStream = body, PartSize = length };
            var measured = sent.Body = _proof.Prepare(request, buffer.AsSpan(0, length));
            var response = await _multipart!.UploadPartAsync(partNumber, request, length, _cancel.Token, _sentParts.Token).ConfigureAwait(false);
            _proof.Check($"Part {partNumber} of s3://{BucketName}/{Key}", measured, response.ETag,
                StoredChecksum.From(response.ChecksumCRC64NVME, response.ChecksumCRC32C, response.ChecksumCRC32, response.ChecksumSHA256, null), response.ServerSideEncryptionMethod);
            return UploadProof.PartOf(partNumber, response, measured);
        }
        catch (Exception ex)
        {
            Fail(ex is OperationCanceledException ? ex : new IOException(
                $"Uploading part {partNumber} of s3://{BucketName}/{Key} failed: {ErrorClassifier.Classify(ex, ErrorIds.UploadFailed, BucketName, Key, settings: _options.Settings).Message}", ex));
            throw;
        }
        finally
        {
            _buffers.Return(buffer);
            _slots.Release();
        }
    }

    /// <summary>Records the first failure and stops the other parts; the upload is aborted once they have stopped.</summary>
    void Fail(Exception ex)
    {
        // Cancelled already means the caller cancelled (a token or Abort): then it is reported as a cancellation.
        bool byCaller = ex is OperationCanceledException && _cancel.IsCancellationRequested;
        if (Interlocked.CompareExchange(ref _failure, ex, null) is not null) return;
        _cancelledByCaller = byCaller;
        _cancel.Cancel();
        _sentParts.CancelAfter(InFlightGrace);
        // Abort now, not when (or if) the writer next calls in: a failed upload must not leave parts behind.
        _abortAfterFailure = Task.Run(AbortUploadAsync);
    }

    async Task AbortUploadAsync()
    {
        Task[] running;
        // A CreateMultipartUpload still in flight counts too: until it answers there is no UploadId to abort (a stop
        // during it returned with the upload still open for a moment; the session aborts it once it knows the id).
        lock (_gate) running = _starting is null ? _parts.ToArray<Task>() : _parts.Append(_starting).ToArray();
        try { await Task.WhenAll(running).ConfigureAwait(false); } catch (Exception) { /* the first failure is the one reported */ }
        if (_multipart is not null) await _multipart.AbortAsync().ConfigureAwait(false);
    }

    void ThrowIfUnusable()
    {
        if (_aborted) throw new ObjectDisposedException(nameof(S3UploadStream), $"The upload to s3://{BucketName}/{Key} was aborted.");
        if (_failure is { } failure)
        {
            if (_cancelledByCaller)
                throw new OperationCanceledException($"The upload to s3://{BucketName}/{Key} was cancelled; nothing was stored.", failure, _cancel.Token);
            throw failure as IOException ?? new IOException($"The upload to s3://{BucketName}/{Key} failed: {ErrorClassifier.Classify(failure, ErrorIds.UploadFailed, BucketName, Key, settings: _options.Settings).Message}", failure);
        }
        if (_result is not null) throw new ObjectDisposedException(nameof(S3UploadStream), $"The upload to s3://{BucketName}/{Key} is already complete.");
    }

    /// <summary>Sends what is buffered, waits for every part and completes the upload; returns its result.
    /// On any failure the upload is aborted and an IOException names the bucket, key and part.</summary>
    public async Task<UploadResult> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_result is not null) return _result;
        using var link = cancellationToken.CanBeCanceled ? cancellationToken.Register(() => _cancel.Cancel()) : default;
        try
        {
            ThrowIfUnusable();
            _clock.Start();
            string? etag; string? checksum; int parts;
            if (_multipart is null)
            {
                var body = _current ?? Array.Empty<byte>();
                int length = _filled;
                await ProbeAsync().ConfigureAwait(false);
                var request = new PutObjectRequest { BucketName = BucketName, Key = Key, InputStream = new MemoryStream(body, 0, length, writable: false), AutoCloseStream = true };
                _options.Settings.ApplyTo(request, Key);
                var sent = _proof.Prepare(request, body.AsSpan(0, length));
                var put = await _budget.RunAsync(ct => { request.InputStream.Position = 0; return _s3.PutObjectAsync(request, ct); }, length, _cancel.Token).ConfigureAwait(false);
                var stored = StoredChecksum.From(put.ChecksumCRC64NVME, put.ChecksumCRC32C, put.ChecksumCRC32, put.ChecksumSHA256, put.ChecksumType?.Value);
                await CheckStoredAsync(put.VersionId, () => _proof.Check($"s3://{BucketName}/{Key}", sent, put.ETag, stored, put.ServerSideEncryptionMethod)).ConfigureAwait(false);
                (etag, checksum, parts) = (put.ETag, (stored?.ToString() ?? (sent.Checksum is { } c ? $"{c.Algorithm}:{c.Base64()}" : null)), 1);
                ReleaseCurrent();
            }
            else
            {
                if (_filled > 0) await SubmitCurrentAsync().ConfigureAwait(false);
                else ReleaseCurrent();
                var done = await WaitForPartsAsync().ConfigureAwait(false);
                CompleteMultipartUploadResponse completed;
                var bodies = _partsSent.Select(p => p.Body!).ToList();
                try { completed = await _multipart.CompleteAsync(done, request => _proof.Complete(request, bodies), _cancel.Token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is not OperationCanceledException || !_cancel.IsCancellationRequested)
                {
                    // The answer may be lost while the store completed the upload (a connection dropped by a restarting
                    // gateway, a retry that then finds the upload gone): the object under the key is ours if its ETag is
                    // the one these parts make. Otherwise this failure stands and nothing of ours is stored.
                    completed = await CompletedAnywayAsync(done).ConfigureAwait(false) ?? throw new IOException(
                        $"Completing the multipart upload of s3://{BucketName}/{Key} failed: {ErrorClassifier.Classify(ex, ErrorIds.UploadFailed, BucketName, Key, settings: _options.Settings).Message}", ex);
                }
                var whole = StoredChecksum.From(completed.ChecksumCRC64NVME, completed.ChecksumCRC32C, completed.ChecksumCRC32, completed.ChecksumSHA256, completed.ChecksumType?.Value);
                await CheckStoredAsync(completed.VersionId, () => _proof.CheckCompleted($"s3://{BucketName}/{Key}", bodies, completed.ETag, whole, completed.ServerSideEncryptionMethod)).ConfigureAwait(false);
                (etag, checksum, parts) = (completed.ETag, whole?.ToString() ?? (_proof.WholeChecksum(bodies) is { } sum ? $"{_proof.Algorithm}:{sum}" : null), done.Length);
                if (_options.Settings.Tags.Count > 0)
                    await ObjectTagging.SetAsync(_budget, BucketName, Key, ObjectTagging.ToTags(_options.Settings.Tags), _cancel.Token).ConfigureAwait(false);
            }
            _clock.Stop();
            _result = new UploadResult
            {
                BucketName = BucketName, Key = Key, Size = _position, ETag = etag, Checksum = checksum, Parts = parts,
                Status = UploadStatus.Uploaded, Duration = _clock.Elapsed,
            };
            DropBuffers();
            return _result;
        }
        catch (Exception ex)
        {
            Fail(ex);
            await AbortCoreAsync().ConfigureAwait(false);
            ThrowIfUnusable();
            throw;
        }
    }

    public UploadResult Complete() => CompleteAsync().GetAwaiter().GetResult();

    /// <summary>The stored object, when its ETag is the MD5 of these parts' MD5s (the parts' ETags): the upload
    /// completed although its answer was lost. Null when it is absent, another object, or its ETag proves nothing
    /// (encrypted with KMS).</summary>
    async Task<CompleteMultipartUploadResponse?> CompletedAnywayAsync(PartETag[] parts)
    {
        try
        {
            var expected = Md5Parts.Combine(parts.Select(p => Convert.FromHexString(p.ETag.Trim('"'))).ToList());
            var head = await _budget.RunAsync(ct => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = BucketName, Key = Key }, ct), 0, CancellationToken.None).ConfigureAwait(false);
            if (!string.Equals(head.ETag?.Trim('"'), expected, StringComparison.OrdinalIgnoreCase)) return null;
            return new CompleteMultipartUploadResponse { ETag = head.ETag, VersionId = head.VersionId, ServerSideEncryptionMethod = head.ServerSideEncryptionMethod };
        }
        catch (Exception ex) when (ex is not OperationCanceledException) { return null; }
    }

    async Task<PartETag[]> WaitForPartsAsync()
    {
        try { return await Task.WhenAll(_parts).ConfigureAwait(false); }
        catch (Exception) { ThrowIfUnusable(); throw; }
    }

    /// <summary>Runs the check of an object that now exists; if it fails, the object is deleted again (that version,
    /// on a versioned bucket), so bytes other than those written are never left under the key.</summary>
    async Task CheckStoredAsync(string? versionId, Action check)
    {
        try { check(); }
        catch (IOException)
        {
            var delete = new DeleteObjectRequest { BucketName = BucketName, Key = Key, VersionId = string.IsNullOrEmpty(versionId) ? null : versionId };
            try { await _budget.RunAsync(ct => _s3.DeleteObjectAsync(delete, ct), 0, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception) { /* the check's failure is the one reported */ }
            throw;
        }
    }

    /// <summary>Stops the upload and removes every part already sent. The object is not created.</summary>
    public void Abort() => AbortAsync().GetAwaiter().GetResult();

    public async Task AbortAsync()
    {
        if (_result is not null) return;
        _aborted = true;
        await AbortCoreAsync().ConfigureAwait(false);
    }

    async Task AbortCoreAsync()
    {
        _cancel.Cancel();
        _sentParts.CancelAfter(InFlightGrace);
        await (_abortAfterFailure ?? AbortUploadAsync()).ConfigureAwait(false);
        if (_multipart is not null) await _multipart.AbortAsync().ConfigureAwait(false); // parts that started after the first abort
        ReleaseCurrent();
        DropBuffers();
    }

    /// <summary>The end of the upload, either way: buffers go to the GC and the scheduler leaves the client's events.</summary>
    void DropBuffers()
    {
        _buffers.Clear();
        if (_ownsBudget) _budget.Dispose();
    }

    /// <summary>Disposing completes the upload unless it failed or was aborted, in which case it makes sure the
    /// multipart upload is aborted. A failure to complete is thrown from Dispose, as FileStream does for a failed flush.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _result is null)
        {
            if (_failure is null && !_aborted) Complete();
            else AbortCoreAsync().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }

    // Stream declares this virtual on .NET Core only; on net472 (Windows PowerShell 5.1) it is a plain method.
#if NET
    public override async ValueTask DisposeAsync()
#else
    public async ValueTask DisposeAsync()
#endif
    {
        if (_result is null)
        {
            if (_failure is null && !_aborted) await CompleteAsync().ConfigureAwait(false);
            else await AbortCoreAsync().ConfigureAwait(false);
        }
#if NET
        await base.DisposeAsync().ConfigureAwait(false);
#else
        Dispose();
#endif
    }

    public override string ToString() => $"S3UploadStream s3://{BucketName}/{Key} ({_position:N0} bytes written, {_partNumber} parts)";
}
