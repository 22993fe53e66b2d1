using System.Diagnostics;
using System.Runtime.CompilerServices;
using S3Turbo.Engine.Connection;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Upload;

public sealed class UploadOptions : TransferOptions
{
    public required string BucketName { get; init; }
    public TransferMode Mode { get; init; } = TransferMode.Update;
    /// <summary>Files at or above this size go up as multipart uploads.</summary>
    public long MultipartThreshold { get; init; } = 16L * 1024 * 1024;
    /// <summary>Null: chosen per file (PartSizing.AutoPartSize).</summary>
    public long? PartSize { get; init; }
    /// <summary>Multipart files whose parts may be in flight together.</summary>
    public int MaxLargeFilesInFlight { get; init; } = 4;
    public ObjectSettings Settings { get; init; } = new();

    public override void Validate()
    {
        base.Validate();
        BucketNames.Validate(BucketName);
        if (PartSize is long partSize) PartSizing.Validate(partSize);
        if (MultipartThreshold < PartSizing.MinPartSize)
            throw new S3TurboException(ErrorIds.InvalidPartSize, FailureKind.InvalidArgument,
                $"-MultipartThreshold {MultipartThreshold} is below S3's 5 MiB minimum part size.", MultipartThreshold);
    }
}

/// <summary>Uploads a stream of files: small files concurrently as single PUTs, large files as multipart uploads
/// whose parts are read straight from file ranges, all sharing one request budget. Add items as they are
/// discovered; read results as they finish; await Completion for the summary.</summary>
public sealed class DirectoryUpload : TransferAction<UploadItem, UploadResult>
{
    /// <summary>Metadata key recording the part size, so Update mode can recompute multipart ETags.</summary>
    public const string PartSizeMetadataKey = "s3turbo-part-size";
    /// <summary>The reasons of skips that are the mode's decision (anything else skipped is worth a warning).</summary>
    public const string UnchangedReason = "unchanged", ExistsReason = "exists";
    readonly RequestBudget _budget;
    readonly IAmazonS3 _s3;
    readonly UploadOptions _options;
    readonly SemaphoreSlim _largeFiles;
    readonly FolderListingCache _listings;

    DirectoryUpload(RequestBudget budget, UploadOptions options)
    {
        _listings = new FolderListingCache(budget, options.BucketName);
        _budget = budget;
        _s3 = budget.Client;
        _options = options;
        _largeFiles = new SemaphoreSlim(options.MaxLargeFilesInFlight);
    }

    /// <summary>Starts an upload run: add items (see DirectoryUploadPlan) as they are discovered, read results as
    /// they finish, await Completion for the summary.</summary>
    public static TransferEngine<UploadItem, UploadResult> Start(S3Connection connection, UploadOptions options, CancellationToken cancellationToken) =>
        Start(connection.Client, options, cancellationToken);

    public static TransferEngine<UploadItem, UploadResult> Start(IAmazonS3 s3, UploadOptions options, CancellationToken cancellationToken) =>
        options.Start(s3, budget => new DirectoryUpload(budget, options), cancellationToken);

    public override string Operation => "Upload";
    public override long SizeOf(UploadItem item) => item.SkipReason is null ? item.Snapshot.Length : 0;

    /// <summary>Checks once, before any file is read, that the bucket exists and the credentials work.</summary>
    public override Task PrepareAsync(CancellationToken cancellationToken) => Preflight.CheckBucketAsync(_budget, _options.BucketName, cancellationToken);

    public override async IAsyncEnumerable<UploadResult> RunAsync(UploadItem item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        if (item.SkipReason is not null)
        {
            yield return new UploadResult { Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Status = TransferStatus.Skipped, Reason = item.SkipReason };
            yield break;
        }
        var skip = await CheckExistingAsync(item, cancellationToken).ConfigureAwait(false);
        long size = item.Snapshot.Length;
        var result = skip
            ?? (dryRun ? new UploadResult { Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = size, Status = TransferStatus.WouldUpload }
            : size >= _options.MultipartThreshold ? await UploadMultipartAsync(item, cancellationToken).ConfigureAwait(false)
            : await UploadSingleAsync(item, cancellationToken).ConfigureAwait(false));
        yield return result with { Duration = started.Elapsed };
    }

    public override UploadResult Failed(UploadItem item, S3TurboException failure, TimeSpan elapsed) => new()
    {
        Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Snapshot.Length,
        Status = TransferStatus.Failed, Reason = failure.Message, Error = failure, Duration = elapsed,
    };

    public override S3TurboException Classify(Exception exception, UploadItem item) => ErrorClassifier.Classify(exception, _options.BucketName, item.Key, item.Path);

    /// <summary>Add/Update modes: the destination folder's listing (one request per 1,000 keys, see
    /// FolderListingCache) decides whether the file needs sending; a HEAD only when the folder could not be listed,
    /// or for a multipart object of the same size, whose part size (recorded in its metadata) the ETag needs.</summary>
    async Task<UploadResult?> CheckExistingAsync(UploadItem item, CancellationToken cancellationToken)
    {
        if (_options.Mode == TransferMode.Overwrite) return null;
        var (known, listed) = await _listings.FindAsync(item.Key, cancellationToken).ConfigureAwait(false);
        var existing = known ? (listed is null ? null : new Existing(listed.Size, listed.ETag, null, false))
            : await HeadAsync(item.Key, cancellationToken).ConfigureAwait(false);
        if (existing is null) return null;
        UploadResult Skipped(string reason) => new()
        {
            Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Snapshot.Length,
            ETag = existing.ETag, Status = TransferStatus.Skipped, Reason = reason,
        };
        if (_options.Mode == TransferMode.Add) return Skipped(ExistsReason);
        if (existing.Size != item.Snapshot.Length || existing.ETag is null) return null;
        if (!existing.FromHead && ETagCalculator.PartCountOf(existing.ETag) > 1)
            existing = await HeadAsync(item.Key, cancellationToken).ConfigureAwait(false);
        if (existing is null || existing.Size != item.Snapshot.Length || existing.ETag is null) return null;
        return await ETagCalculator.MatchesAsync(item.Path, item.Snapshot.Length, existing.ETag, existing.RecordedPartSize, cancellationToken).ConfigureAwait(false)
            ? Skipped(UnchangedReason) : null;
    }

    /// <summary>What the destination holds at a key, as far as Update needs it.</summary>
    sealed record Existing(long Size, string? ETag, long? RecordedPartSize, bool FromHead);

    async Task<Existing?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _budget.RunAsync(ct => _s3.GetObjectMetadataAsync(_options.BucketName, key, ct), 0, cancellationToken).ConfigureAwait(false);
            return new Existing(head.ContentLength, head.ETag, long.TryParse(head.Metadata[PartSizeMetadataKey], out var ps) ? ps : null, true);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
    }

    async Task<UploadResult> UploadSingleAsync(UploadItem item, CancellationToken cancellationToken)
    {
        long size = item.Snapshot.Length;
        var response = await _budget.RunAsync(async ct =>
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
            Checksum = ReportedChecksum.Text(response.ChecksumCRC32, response.ChecksumCRC32C, response.ChecksumCRC64NVME, response.ChecksumSHA256),
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
            var upload = new MultipartUploadSession(_budget, _options.BucketName, item.Key);
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
            if (initiate.TagSet is { Count: > 0 } tags) await ObjectTagging.SetAsync(_budget, _options.BucketName, item.Key, tags, cancellationToken).ConfigureAwait(false);
            return new UploadResult
            {
                Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = size, ETag = completed.ETag,
                Checksum = ReportedChecksum.Text(completed.ChecksumCRC32, completed.ChecksumCRC32C, completed.ChecksumCRC64NVME, completed.ChecksumSHA256),
                Status = TransferStatus.Uploaded, Parts = partCount,
            };
        }
        finally { _largeFiles.Release(); }
    }
}
