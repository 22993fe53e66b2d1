using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using Amazon.S3;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Tar;

public sealed class TarIndexOptions : TransferOptions
{
    /// <summary>Archives indexed at once by default: each reads with up to 8 ranged GETs in flight, all within the
    /// run's one request budget.</summary>
    public const int DefaultArchivesInFlight = 8;
    public TarIndexOptions() { MaxItemsInFlight = DefaultArchivesInFlight; InitialConcurrency = 64; }
    /// <summary>Small blocks keep header hopping cheap (one 64 KiB block per header of a large member).</summary>
    public int BlockSize { get; init; } = 64 * 1024;
    /// <summary>Per archive: cache cap and read-ahead for archives of small members and compressed archives.</summary>
    public long MaxMemoryPerArchive { get; init; } = 32L * 1024 * 1024;
    public long MaxReadAhead { get; init; } = 16L * 1024 * 1024;
    /// <summary>A skip shorter than this is read through (streaming) rather than jumped over with a new request:
    /// for archives of small members one sequential stream is cheaper than a request per header.</summary>
    public long HopThreshold { get; init; } = 256 * 1024;
    public int PageSize { get; init; } = 1000;

    public override void Validate()
    {
        base.Validate();
        if (MaxItemsInFlight is < 1 or > 256)
            throw new S3TurboException(ErrorIds.InvalidConcurrency, FailureKind.InvalidArgument, $"-MaxConcurrency {MaxItemsInFlight} must be between 1 and 256.", MaxItemsInFlight);
    }
}

/// <summary>One archive to index; with the size and ETag from a listing it is opened without a HEAD. While it is
/// indexed it records how far it got, so a failure still reports the entries and bytes read.</summary>
public sealed class TarArchiveItem : TransferItem
{
    public TarArchiveItem(string bucket, string key, long? size = null, string? etag = null) { BucketName = bucket; Key = key; Size = size; ETag = etag; }
    public string BucketName { get; }
    public string Key { get; }
    public long? Size { get; }
    public string? ETag { get; }
    internal string Compression { get; set; } = "None";
    internal long Entries { get; set; }
    internal S3ObjectStream? Stream { get; set; }
}

/// <summary>Indexes tar archives in S3, several at once. Uncompressed archives are read through an S3ObjectStream
/// that fetches only header blocks when members are large (jumping over their data) and streams with read-ahead
/// when they are small; gzip and zstd archives (recognised by their magic bytes) are streamed through a
/// decompressor. An archive yields its entries in order, then its TarArchiveResult.</summary>
public sealed class TarIndexer : TransferAction<TarArchiveItem, TarEntry, TarArchiveResult>
{
    readonly RequestBudget _budget;
    readonly TarIndexOptions _options;
    long _entries, _archiveBytes, _bytesRead, _requests;

    TarIndexer(RequestBudget budget, TarIndexOptions options) { _budget = budget; _options = options; }

    /// <summary>Starts an index run: each archive's TarEntry parts, then its TarArchiveResult, come out of Results.</summary>
    public static (TransferEngine<TarArchiveItem, TarEntry, TarArchiveResult> Engine, TarIndexer Indexer) Start(S3Connection connection, TarIndexOptions options, CancellationToken cancellationToken) =>
        Start(connection.Client, options, cancellationToken);

    public static (TransferEngine<TarArchiveItem, TarEntry, TarArchiveResult> Engine, TarIndexer Indexer) Start(IAmazonS3 s3, TarIndexOptions options, CancellationToken cancellationToken)
    {
        TarIndexer? indexer = null;
        var engine = options.Start(s3, budget => indexer = new TarIndexer(budget, options), cancellationToken);
        return (engine, indexer!);
    }

    public override string Operation => "TarIndex";
    public override string FallbackErrorId => ErrorIds.TarIndexFailed;
    public override string? SettlementKey(TarArchiveItem item) => item.BucketName + "/" + item.Key;
    public override string? SettlementKey(TarArchiveResult result) => result.BucketName + "/" + result.Key;
    public override long SizeOf(TarArchiveItem item) => item.Size ?? 0;

    /// <summary>One archive by its bucket and key (with its size and ETag when a manifest gives them), within the shard.</summary>
    public async IAsyncEnumerable<TarArchiveItem> PlanArchiveAsync(string bucket, string key, long? size = null, string? etag = null)
    {
        BucketNames.Validate(bucket);
        await Task.CompletedTask.ConfigureAwait(false);
        if (_options.Shard?.Accepts(key) != false) yield return new TarArchiveItem(bucket, key, size, etag);
    }

    /// <summary>Every archive under a prefix that the filter accepts, from a streamed listing.</summary>
    public async IAsyncEnumerable<TarArchiveItem> PlanPrefixAsync(string bucket, string prefix, WildcardFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        await foreach (var o in ObjectLister.ListAsync(_budget, bucket, prefix, _options.PageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
            if (!o.Key.EndsWith('/') && filter.AcceptsKey(o.Key[prefix.Length..]) && _options.Shard?.Accepts(o.Key) != false) yield return new TarArchiveItem(bucket, o.Key, o.Size, o.ETag);
    }

    public override async IAsyncEnumerable<TarArchiveResult> RunAsync(TarArchiveItem item, IPartWriter<TarEntry> parts, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        string bucket = item.BucketName, key = item.Key;
        try
        {
            var streamOptions = new ObjectStreamOptions
            {
                BucketName = bucket, Key = key, BlockSize = _options.BlockSize, MaxMemory = _options.MaxMemoryPerArchive,
                MaxReadAhead = _options.MaxReadAhead, SequentialGap = _options.HopThreshold, MaxBlocksPerRequest = 16, MaxConcurrentFetches = 8,
            };
            var objectStream = item.Stream = item.Size is long size && item.ETag is not null
                ? S3ObjectStream.FromListing(_budget, streamOptions, size, item.ETag)
                : await S3ObjectStream.OpenAsync(_budget, streamOptions, cancellationToken).ConfigureAwait(false);
            // A small archive (up to one read-ahead window) costs little more read whole than hopped, so it is fetched
            // at once, in parallel ranges, before the first byte is looked at.
            bool small = objectStream.Length <= _options.MaxReadAhead;
            if (small) objectStream.ExpectSequential();
            var magic = new byte[4];
            int n = await objectStream.ReadAtLeastAsync(magic, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            objectStream.Position = 0;
            var compression = TarCompression.Detect(magic.AsSpan(0, n));
            if (compression is not null) item.Compression = CompressionNames[compression];
            Stream tar = TarCompression.Open(objectStream, compression);
            // A decompressor reads front to back: full read-ahead at once rather than a ramp.
            if (item.Compression != "None" && !small) objectStream.ExpectSequential();
            using (tar) // read-only streams: a synchronous dispose has nothing to wait for
            {
                await foreach (var entry in new TarIndexReader(tar, bucket, key).ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    item.Entries++;
                    await parts.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
                }
                // The codec checks its data only at the end of a block or stream (gzip's CRC-32, xz's block check,
                // bzip2's CRCs), past the tar's end marker: read to there, so a damaged archive is reported.
                if (compression is not null) await TarCompression.ReadToEndAsync(tar, cancellationToken).ConfigureAwait(false);
            }
        }
        finally { item.Stream?.Dispose(); }
        yield return Result(item, null, clock.Elapsed);
    }

    public override IEnumerable<TarArchiveResult> Failed(TarArchiveItem item, S3TurboException failure, TimeSpan elapsed) => new[] { Result(item, failure, elapsed) };

    public override S3TurboException Classify(Exception ex, TarArchiveItem item) => ex switch
    {
        S3TurboException typed => typed,
        _ when TarCompression.IsDamagedStream(ex) => TarCompression.Damaged($"s3://{item.BucketName}/{item.Key}", item.Compression, ex),
        S3ObjectChangedException => new S3TurboException(ErrorIds.ObjectChanged, FailureKind.InvalidData, ex.Message, $"s3://{item.BucketName}/{item.Key}", ex),
        _ => ErrorClassifier.Classify(ex, FallbackErrorId, item.BucketName, item.Key),
    };

    TarArchiveResult Result(TarArchiveItem item, S3TurboException? error, TimeSpan elapsed)
    {
        var stats = item.Stream?.Stats;
        var result = new TarArchiveResult
        {
            BucketName = item.BucketName, Key = item.Key, Compression = item.Compression, Entries = item.Entries, ArchiveBytes = item.Stream?.Length ?? 0,
            BytesRead = stats?.BytesRequested ?? 0, Requests = stats?.Requests ?? 0, Duration = elapsed, Error = error,
        };
        Interlocked.Add(ref _entries, result.Entries);
        Interlocked.Add(ref _archiveBytes, result.ArchiveBytes);
        Interlocked.Add(ref _bytesRead, result.BytesRead);
        Interlocked.Add(ref _requests, result.Requests + 1);
        return result;
    }

    public override TransferSummary Summarize(TransferSummary summary) => new TarIndexSummary(summary)
    {
        Entries = Interlocked.Read(ref _entries), ArchiveBytes = Interlocked.Read(ref _archiveBytes),
        BytesRead = Interlocked.Read(ref _bytesRead), Requests = Interlocked.Read(ref _requests),
    };

    /// <summary>TarArchiveResult.Compression's words (as before: Gzip, Zstd).</summary>
    static readonly Dictionary<string, string> CompressionNames = new(StringComparer.Ordinal) { ["gzip"] = "Gzip", ["zstd"] = "Zstd", ["xz"] = "Xz", ["bzip2"] = "Bzip2" };
}
