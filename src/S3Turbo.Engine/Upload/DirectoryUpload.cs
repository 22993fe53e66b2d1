using S3Turbo.Engine.Connection;
using System.Diagnostics;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Concurrency;

namespace S3Turbo.Engine.Upload;

public sealed class UploadOptions
{
    public required string BucketName { get; init; }
    public TransferMode Mode { get; init; } = TransferMode.Update;
    /// <summary>Files at or above this size go up as multipart uploads.</summary>
    public long MultipartThreshold { get; init; } = 16L * 1024 * 1024;
    /// <summary>Null: chosen per file (PartSizing.AutoPartSize).</summary>
    public long? PartSize { get; init; }
    /// <summary>Fixed request concurrency; null means adaptive.</summary>
    public int? MaxConcurrency { get; init; }
    public int InitialConcurrency { get; init; } = 16;
    public int MaxAdaptiveConcurrency { get; init; } = 128;
    /// <summary>Files being worked on at once (each holds at most one request slot unless it is multipart).</summary>
    public int MaxItemsInFlight { get; init; } = 256;
    /// <summary>Multipart files whose parts may be in flight together.</summary>
    public int MaxLargeFilesInFlight { get; init; } = 4;
    public int QueueCapacity { get; init; } = 1024;
    /// <summary>Decide and report, but write nothing (existence checks still run).</summary>
    public bool WhatIf { get; init; }
    public ObjectSettings Settings { get; init; } = new();
    public TimeSpan ControlInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public IProgress<TransferProgress>? Progress { get; init; }
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public void Validate()
    {
        BucketNames.Validate(BucketName);
        if (PartSize is long partSize) PartSizing.Validate(partSize);
        if (MultipartThreshold < PartSizing.MinPartSize)
            throw new S3TurboException(ErrorIds.InvalidPartSize, FailureKind.InvalidArgument,
                $"-MultipartThreshold {MultipartThreshold} is below S3's 5 MiB minimum part size.", MultipartThreshold);
        if (MaxConcurrency is < 1)
            throw new S3TurboException(ErrorIds.InvalidConcurrency, FailureKind.InvalidArgument,
                $"-MaxConcurrency {MaxConcurrency} is not valid: it must be at least 1.", MaxConcurrency);
    }
}

/// <summary>Uploads a stream of files: small files concurrently as single PUTs, large files as multipart uploads
/// whose parts are read straight from file ranges, all sharing one request budget. Add items as they are
/// discovered; read results as they finish; await Completion for the summary.</summary>
public sealed class DirectoryUpload
{
    /// <summary>Metadata key recording the part size, so Update mode can recompute multipart ETags.</summary>
    public const string PartSizeMetadataKey = "s3turbo-part-size";
    readonly IAmazonS3 _s3;
    readonly UploadOptions _options;
    readonly TransferRun<UploadItem, UploadResult> _run;
    readonly SemaphoreSlim _largeFiles;

    public DirectoryUpload(S3Connection connection, UploadOptions options, CancellationToken cancellationToken)
        : this(connection.Client, options, cancellationToken) { }

    public DirectoryUpload(IAmazonS3 s3, UploadOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        _s3 = s3;
        _options = options;
        _largeFiles = new SemaphoreSlim(options.MaxLargeFilesInFlight);
        _run = new TransferRun<UploadItem, UploadResult>("Upload",
            new RequestScheduler(s3, options.MaxConcurrency, options.InitialConcurrency, options.MaxAdaptiveConcurrency),
            options.MaxItemsInFlight, options.QueueCapacity, ProcessAsync, options.ControlInterval, options.Progress, options.ProgressInterval,
            options.WhatIf, cancellationToken);
    }

    public RequestScheduler Scheduler => _run.Scheduler;
    public System.Threading.Channels.ChannelReader<UploadResult> Results => _run.Pipeline.Results;
    /// <summary>The summary, once every item is done; faults with the fatal S3TurboException if the run stopped early.</summary>
    public Task<TransferSummary> Completion => _run.Completion;

    public async ValueTask AddAsync(UploadItem item, CancellationToken cancellationToken = default)
    {
        _run.Counters.Discovered(item.Failure is null && item.SkipReason is null ? item.Snapshot.Length : 0);
        await _run.Pipeline.AddAsync(item, cancellationToken).ConfigureAwait(false);
    }

    public void CompleteAdding() => _run.CompleteAdding();

    /// <summary>Checks once, before any file is read, that the bucket exists and the credentials work, so a bad
    /// bucket or key gives one clear error instead of one per file.</summary>
    public Task PreflightAsync(CancellationToken cancellationToken) => Preflight.CheckBucketAsync(_s3, _options.BucketName, cancellationToken);

    public TransferProgress GetProgress() => _run.GetProgress();

    async Task<UploadResult> ProcessAsync(UploadItem item, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        if (item.Failure is not null) return _run.Counters.Record(Failed(item, item.Failure, started));
        if (item.SkipReason is not null)
            return _run.Counters.Record(new UploadResult { Path = item.Path, BucketName = _options.BucketName, Status = TransferStatus.Skipped, Reason = item.SkipReason });
        try
        {
            var skip = await CheckExistingAsync(item, cancellationToken).ConfigureAwait(false);
            if (skip is not null) return _run.Counters.Record(skip with { Duration = started.Elapsed });
            long size = item.Snapshot.Length;
            if (_options.WhatIf)
                return _run.Counters.Record(new UploadResult { Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = size, Status = TransferStatus.WouldUpload, Duration = started.Elapsed });
            var result = size >= _options.MultipartThreshold
                ? await UploadMultipartAsync(item, cancellationToken).ConfigureAwait(false)
                : await UploadSingleAsync(item, cancellationToken).ConfigureAwait(false);
            return _run.Counters.Record(result with { Duration = started.Elapsed });
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested || ex is not OperationCanceledException)
        {
            var failure = ErrorClassifier.Classify(ex, _options.BucketName, item.Key, item.Path);
            if (failure.IsFatalForRun) _run.Pipeline.Fail(failure);
            return _run.Counters.Record(Failed(item, failure, started));
        }
    }

    UploadResult Failed(UploadItem item, S3TurboException failure, Stopwatch started) => new()
    {
        Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Snapshot.Length,
        Status = TransferStatus.Failed, Reason = failure.Message, Error = failure, Duration = started.Elapsed,
    };

    /// <summary>Add/Update modes: a HEAD on the key decides whether the file needs sending.</summary>
    async Task<UploadResult?> CheckExistingAsync(UploadItem item, CancellationToken cancellationToken)
    {
        if (_options.Mode == TransferMode.Overwrite) return null;
        GetObjectMetadataResponse head;
        try
        {
            head = await _run.Scheduler.RunAsync(ct => _s3.GetObjectMetadataAsync(_options.BucketName, item.Key, ct), 0, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        UploadResult Skipped(string reason) => new()
        {
            Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Snapshot.Length,
            ETag = head.ETag, Status = TransferStatus.Skipped, Reason = reason,
        };
        if (_options.Mode == TransferMode.Add) return Skipped("exists");
        if (head.ContentLength != item.Snapshot.Length) return null;
        long? recordedPartSize = long.TryParse(head.Metadata[PartSizeMetadataKey], out var ps) ? ps : null;
        return await ETagCalculator.MatchesAsync(item.Path, item.Snapshot.Length, head.ETag, recordedPartSize, cancellationToken).ConfigureAwait(false)
            ? Skipped("unchanged") : null;
    }

    async Task<UploadResult> UploadSingleAsync(UploadItem item, CancellationToken cancellationToken)
    {
        long size = item.Snapshot.Length;
        var response = await _run.Scheduler.RunAsync(async ct =>
        {
            // A fresh stream per attempt owner; the SDK rewinds it for its own retries.
            using var body = size == 0 ? (Stream)new MemoryStream(Array.Empty<byte>(), false) : new FileSegmentStream(item.Path, 0, size, item.Snapshot);
            var request = new PutObjectRequest
            {
                BucketName = _options.BucketName, Key = item.Key, InputStream = body, AutoCloseStream = false,
            };
            request.Headers.ContentLength = size;
            _options.Settings.ApplyTo(request, item.Path);
            var put = await _s3.PutObjectAsync(request, ct).ConfigureAwait(false);
            if (size == 0) item.Snapshot.EnsureUnchanged(item.Path); // nothing was read, so check here
            return put;
        }, size, cancellationToken).ConfigureAwait(false);
        return new UploadResult
        {
            Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = size, ETag = response.ETag,
            Checksum = ChecksumText(response.ChecksumCRC32, response.ChecksumCRC32C, response.ChecksumCRC64NVME, response.ChecksumSHA256),
            Status = TransferStatus.Uploaded, Parts = 1,
        };
    }

    async Task<UploadResult> UploadMultipartAsync(UploadItem item, CancellationToken cancellationToken)
    {
        long size = item.Snapshot.Length;
        long partSize = PartSizing.ChoosePartSize(size, _options.PartSize ?? PartSizing.AutoPartSize(size));
        int partCount = PartSizing.PartCount(size, partSize);
        await _largeFiles.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var initiate = new InitiateMultipartUploadRequest { BucketName = _options.BucketName, Key = item.Key };
            _options.Settings.ApplyTo(initiate, item.Path);
            initiate.Metadata[PartSizeMetadataKey] = partSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var upload = new MultipartUpload(_s3, _run.Scheduler, _options.BucketName, item.Key);
            await upload.StartAsync(initiate, cancellationToken).ConfigureAwait(false);
            var completed = await upload.RunPartsAsync(partCount, (partNumber, ct) =>
            {
                long offset = (partNumber - 1) * partSize;
                long length = Math.Min(partSize, size - offset);
                return (new UploadPartRequest
                {
                    InputStream = new FileSegmentStream(item.Path, offset, length, item.Snapshot),
                    PartSize = length,
                    IsLastPart = partNumber == partCount,
                }, length);
            }, beforeComplete: () => item.Snapshot.EnsureUnchanged(item.Path), cancellationToken).ConfigureAwait(false);
            if (initiate.TagSet is { Count: > 0 } tags) await ObjectTagging.SetAsync(_s3, _run.Scheduler, _options.BucketName, item.Key, tags, cancellationToken).ConfigureAwait(false);
            return new UploadResult
            {
                Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = size, ETag = completed.ETag,
                Checksum = ChecksumText(completed.ChecksumCRC32, completed.ChecksumCRC32C, completed.ChecksumCRC64NVME, completed.ChecksumSHA256),
                Status = TransferStatus.Uploaded, Parts = partCount,
            };
        }
        finally { _largeFiles.Release(); }
    }

    internal static string? ChecksumText(string? crc32, string? crc32c, string? crc64, string? sha256) =>
        crc64 is { Length: > 0 } ? "CRC64NVME:" + crc64
        : crc32 is { Length: > 0 } ? "CRC32:" + crc32
        : crc32c is { Length: > 0 } ? "CRC32C:" + crc32c
        : sha256 is { Length: > 0 } ? "SHA256:" + sha256 : null;
}
