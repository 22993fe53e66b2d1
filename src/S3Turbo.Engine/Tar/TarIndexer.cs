using S3Turbo.Engine.Connection;
using System.Diagnostics;
using System.IO.Compression;
using System.Threading.Channels;
using Amazon.S3;
using S3Turbo.Engine.Concurrency;
using S3Turbo.Engine.Listing;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tar;

public sealed class TarIndexOptions
{
    /// <summary>Archives indexed at once.</summary>
    public int MaxConcurrency { get; init; } = 16;
    /// <summary>Small blocks keep header hopping cheap (one 64 KiB block per header of a large member).</summary>
    public int BlockSize { get; init; } = 64 * 1024;
    /// <summary>Per archive: cache cap and read-ahead for archives of small members and compressed archives.</summary>
    public long MaxMemoryPerArchive { get; init; } = 32L * 1024 * 1024;
    public long MaxReadAhead { get; init; } = 16L * 1024 * 1024;
    /// <summary>A skip shorter than this is read through (streaming) rather than jumped over with a new request:
    /// for archives of small members one sequential stream is cheaper than a request per header.</summary>
    public long HopThreshold { get; init; } = 256 * 1024;
    public int PageSize { get; init; } = 1000;
    public IProgress<TransferProgress>? Progress { get; init; }
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public void Validate()
    {
        if (MaxConcurrency is < 1 or > 256)
            throw new S3TurboException(ErrorIds.InvalidConcurrency, FailureKind.InvalidArgument, $"-MaxConcurrency {MaxConcurrency} must be between 1 and 256.", MaxConcurrency);
    }
}

/// <summary>Indexes tar archives in S3, several at once. Uncompressed archives are read through an S3ObjectStream
/// that fetches only header blocks when members are large (jumping over their data) and streams with read-ahead
/// when they are small; gzip and zstd archives (recognised by their magic bytes) are streamed through a
/// decompressor. Entries and per-archive results come out of one bounded channel, in each archive's order.</summary>
public sealed class TarIndexer
{
    readonly IAmazonS3 _s3;
    readonly TarIndexOptions _options;
    readonly Channel<(string Bucket, string Key, long? Size, string? ETag)> _input = Channel.CreateBounded<(string, string, long?, string?)>(1024);
    readonly Channel<object> _output = Channel.CreateBounded<object>(new BoundedChannelOptions(4096) { SingleReader = true });
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly CancellationTokenSource _stop;
    readonly CancellationToken _caller;
    readonly Task _workers;
    long _archives, _failed, _entries, _archiveBytes, _bytesRead, _requests, _discovered;
    bool _inputComplete;

    public TarIndexer(S3Connection connection, TarIndexOptions options, CancellationToken cancellationToken)
        : this(connection.Client, options, cancellationToken) { }

    public TarIndexer(IAmazonS3 s3, TarIndexOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        _s3 = s3;
        _options = options;
        _caller = cancellationToken;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _workers = Task.WhenAll(Enumerable.Range(0, options.MaxConcurrency).Select(_ => Task.Run(WorkAsync)));
        var progress = options.Progress is null ? Task.CompletedTask : ProgressLoop.RunAsync(options.Progress, GetProgress, options.ProgressInterval, _stop.Token);
        Completion = FinishAsync(progress);
    }

    /// <summary>TarEntry and TarArchiveResult objects; an archive's result follows its entries.</summary>
    public ChannelReader<object> Output => _output.Reader;
    public Task<TarIndexSummary> Completion { get; }

    /// <summary>Queues one archive; with the size and ETag from a listing it is opened without a HEAD.</summary>
    public ValueTask AddArchiveAsync(string bucket, string key, long? size, CancellationToken cancellationToken, string? etag = null)
    {
        BucketNames.Validate(bucket);
        Interlocked.Increment(ref _discovered);
        return _input.Writer.WriteAsync((bucket, key, size, etag), cancellationToken);
    }

    /// <summary>Queues every archive under a prefix that the filter accepts (streamed listing); returns how many.</summary>
    public async Task<long> AddPrefixAsync(string bucket, string prefix, WildcardFilter filter, CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        long added = 0;
        try
        {
            await foreach (var o in ObjectLister.ListAsync(_s3, null, bucket, prefix, _options.PageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var relative = o.Key[prefix.Length..];
                if (o.Key.EndsWith('/') || !filter.Accepts(relative[(relative.LastIndexOf('/') + 1)..], relative)) continue;
                await AddArchiveAsync(bucket, o.Key, o.Size, cancellationToken, o.ETag).ConfigureAwait(false);
                added++;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not S3TurboException and not ChannelClosedException)
        {
            var failure = ErrorClassifier.Classify(ex, bucket, null);
            throw new S3TurboException(failure.ErrorId, failure.Kind, $"Listing s3://{bucket}/{prefix} failed: {failure.Message}", failure.Target, ex)
                { IsFatalForRun = failure.IsFatalForRun && failure.ErrorId != ErrorIds.BucketNotFound };
        }
        return added;
    }

    public void CompleteAdding() { _inputComplete = true; _input.Writer.TryComplete(); }

    public TransferProgress GetProgress()
    {
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        long done = Interlocked.Read(ref _archives), read = Interlocked.Read(ref _bytesRead);
        return new TransferProgress
        {
            Operation = "TarIndex", ItemsCompleted = done, ItemsDiscovered = Interlocked.Read(ref _discovered), ItemsFailed = Interlocked.Read(ref _failed),
            BytesCompleted = read, BytesDiscovered = read, InputComplete = _inputComplete, BytesPerSecond = read / seconds,
            ItemsPerSecond = done / seconds, Concurrency = _options.MaxConcurrency, Elapsed = _clock.Elapsed,
        };
    }

    async Task WorkAsync()
    {
        try
        {
            while (await _input.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                while (_input.Reader.TryRead(out var archive))
                {
                    var result = await IndexArchiveAsync(archive.Bucket, archive.Key, archive.Size, archive.ETag, _stop.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _archives);
                    if (result.Error is not null) Interlocked.Increment(ref _failed);
                    Interlocked.Add(ref _archiveBytes, result.ArchiveBytes);
                    Interlocked.Add(ref _bytesRead, result.BytesRead);
                    Interlocked.Add(ref _requests, result.Requests + 1);
                    await _output.Writer.WriteAsync(result, _stop.Token).ConfigureAwait(false);
                    if (result.Error is { IsFatalForRun: true } fatal) throw fatal;
                }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception ex)
        {
            _stop.Cancel();
            _input.Writer.TryComplete(); // producers waiting on a full queue see a closed channel, not a hang
            _output.Writer.TryComplete(ex);
        }
    }

    async Task<TarArchiveResult> IndexArchiveAsync(string bucket, string key, long? knownSize, string? knownETag, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long entries = 0;
        S3ObjectStream? objectStream = null;
        string compression = "None";
        try
        {
            var streamOptions = new ObjectStreamOptions
            {
                BucketName = bucket, Key = key, BlockSize = _options.BlockSize, MaxMemory = _options.MaxMemoryPerArchive,
                MaxReadAhead = _options.MaxReadAhead, SequentialGap = _options.HopThreshold, MaxBlocksPerRequest = 16, MaxConcurrentFetches = 8,
            };
            objectStream = knownSize is long size && knownETag is not null
                ? S3ObjectStream.FromListing(_s3, streamOptions, size, knownETag)
                : await S3ObjectStream.OpenAsync(_s3, streamOptions, cancellationToken).ConfigureAwait(false);
            // A small archive (up to one read-ahead window) costs little more read whole than hopped, so it is fetched
            // at once, in parallel ranges, before the first byte is looked at.
            bool small = objectStream.Length <= _options.MaxReadAhead;
            if (small) objectStream.ExpectSequential();
            var magic = new byte[4];
            int n = await objectStream.ReadAtLeastAsync(magic, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            objectStream.Position = 0;
            Stream tar = objectStream;
            if (n >= 2 && magic[0] == 0x1F && magic[1] == 0x8B) { compression = "Gzip"; tar = new GZipStream(objectStream, CompressionMode.Decompress, leaveOpen: true); }
            else if (n == 4 && magic.AsSpan().SequenceEqual(new byte[] { 0x28, 0xB5, 0x2F, 0xFD })) { compression = "Zstd"; tar = new ZstdSharp.DecompressionStream(objectStream, leaveOpen: true); }
            else if (n >= 3 && magic[0] == (byte)'B' && magic[1] == (byte)'Z' && magic[2] == (byte)'h') throw Unsupported(bucket, key, "bzip2");
            else if (n == 4 && magic.AsSpan().SequenceEqual(new byte[] { 0xFD, (byte)'7', (byte)'z', (byte)'X' })) throw Unsupported(bucket, key, "xz");
            // A decompressor reads front to back: full read-ahead at once rather than a ramp.
            if (compression != "None" && !small) objectStream.ExpectSequential();
            using (tar) // read-only streams: a synchronous dispose has nothing to wait for
            {
                await foreach (var entry in new TarIndexReader(tar, bucket, key).ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    entries++;
                    Interlocked.Increment(ref _entries);
                    await _output.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
                }
            }
            return Result(null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failure = ex switch
            {
                S3TurboException typed => typed,
                InvalidDataException or ZstdSharp.ZstdException => new TarFormatException(ErrorIds.InvalidTarArchive,
                    $"s3://{bucket}/{key}: the {compression} stream is damaged: {ex.Message}", $"s3://{bucket}/{key}", -1),
                S3ObjectChangedException => new S3TurboException(ErrorIds.ObjectChanged, FailureKind.InvalidData, ex.Message, $"s3://{bucket}/{key}", ex),
                _ => ErrorClassifier.Classify(ex, bucket, key),
            };
            return Result(failure);
        }
        finally { objectStream?.Dispose(); }

        TarArchiveResult Result(S3TurboException? error) => new()
        {
            BucketName = bucket, Key = key, Compression = compression, Entries = entries, ArchiveBytes = objectStream?.Length ?? 0,
            BytesRead = objectStream?.Stats.BytesRequested ?? 0, Requests = objectStream?.Stats.Requests ?? 0, Duration = clock.Elapsed, Error = error,
        };
    }

    static TarFormatException Unsupported(string bucket, string key, string format) =>
        new(ErrorIds.UnsupportedCompression, $"s3://{bucket}/{key} is {format}-compressed; S3Turbo reads uncompressed, gzip and zstd tar archives.", $"s3://{bucket}/{key}", 0);

    async Task<TarIndexSummary> FinishAsync(Task progress)
    {
        try
        {
            await _workers.ConfigureAwait(false);
            _output.Writer.TryComplete(_caller.IsCancellationRequested ? new OperationCanceledException(_caller) : null);
        }
        finally
        {
            _stop.Cancel();
            await progress.ConfigureAwait(false);
            _options.Progress?.Report(GetProgress());
        }
        await _output.Reader.Completion.ConfigureAwait(false); // a fatal failure surfaces here
        return new TarIndexSummary
        {
            Archives = _archives, ArchivesFailed = _failed, Entries = _entries, ArchiveBytes = _archiveBytes, BytesRead = _bytesRead,
            Requests = _requests, Elapsed = _clock.Elapsed,
        };
    }
}
