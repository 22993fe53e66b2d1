using System.Diagnostics;
using System.Runtime.CompilerServices;
using S3Turbo.Engine.Connection;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Copy;

public sealed class CopyOptions : TransferOptions
{
    // Copies cost the client little (latency and the store, not CPU, bound them), and listings arrive in pages.
    public CopyOptions() { InitialConcurrency = 64; QueueCapacity = 2048; }

    public required string DestinationBucket { get; init; }
    /// <summary>Destination key = DestinationPrefix + (source key minus the source prefix).</summary>
    public string DestinationPrefix { get; init; } = "";
    public TransferMode Mode { get; init; } = TransferMode.Update;
    /// <summary>Objects larger than this are copied as multipart UploadPartCopy; S3's single-copy limit is 5 GiB.</summary>
    public long MultipartCopyThreshold { get; init; } = PartSizing.MaxPartSize;
    /// <summary>Part size for multipart copies when the source's own part layout cannot be mirrored.</summary>
    public long PartSize { get; init; } = DefaultCopyPartSize;
    public const long DefaultCopyPartSize = 128L * 1024 * 1024;
    public int MaxLargeObjectsInFlight { get; init; } = 4;
    /// <summary>ListObjectsV2 page size (S3's maximum is 1,000; tests use small pages).</summary>
    public int PageSize { get; init; } = 1000;
    public WildcardFilter Filter { get; init; } = new(null, null);
    public MetadataDirective MetadataDirective { get; init; } = MetadataDirective.Copy;
    /// <summary>With Replace: the new content type, metadata and headers. Storage class, ACL, encryption and tags
    /// apply with either directive.</summary>
    public ObjectSettings Settings { get; init; } = new();
    /// <summary>Keep the source's tags (S3 CopyObject's own default). Tags in Settings replace them instead.</summary>
    public bool CopyTags { get; init; } = true;

    public override void Validate()
    {
        base.Validate();
        BucketNames.Validate(DestinationBucket);
        PartSizing.Validate(PartSize);
        if (MultipartCopyThreshold < PartSizing.MinPartSize || MultipartCopyThreshold > PartSizing.MaxPartSize)
            throw new S3TurboException(ErrorIds.InvalidPartSize, FailureKind.InvalidArgument,
                $"-MultipartCopyThreshold {MultipartCopyThreshold} is outside S3's limits: between 5 MiB and 5 GiB (the largest single CopyObject).", MultipartCopyThreshold);
        if (PageSize is < 1 or > 1000)
            throw new S3TurboException(ErrorIds.InvalidPageSize, FailureKind.InvalidArgument, $"-PageSize {PageSize} must be between 1 and 1000.", PageSize);
    }
}

/// <summary>Server-side copy of every object under prefixes: one paginated ListObjectsV2 producer per prefix
/// streams into a bounded channel; copy workers share one adaptive (or fixed) request budget and an optional
/// request-rate cap. In Add/Update mode the destination prefix is listed alongside the source (a merge join on
/// the sorted listings) instead of one HEAD per object.</summary>
public sealed class PrefixCopy : TransferAction<CopyItem, CopyResult>
{
    readonly RequestBudget _budget;
    readonly IAmazonS3 _s3;
    readonly CopyOptions _options;
    readonly SemaphoreSlim _largeObjects;
    readonly string _destinationPrefix;
    readonly HashSet<string> _checkedSourceBuckets = new();

    PrefixCopy(RequestBudget budget, CopyOptions options)
    {
        _budget = budget;
        _s3 = budget.Client;
        _options = options;
        _destinationPrefix = KeyMapper.NormalizePrefix(options.DestinationPrefix);
        _largeObjects = new SemaphoreSlim(options.MaxLargeObjectsInFlight);
    }

    /// <summary>Starts a copy run; plan its items with <see cref="PlanPrefixAsync"/> and <see cref="PlanObjectAsync"/>.</summary>
    public static (TransferEngine<CopyItem, NoPart, CopyResult> Engine, PrefixCopy Copy) Start(S3Connection connection, CopyOptions options, CancellationToken cancellationToken) =>
        Start(connection.Client, options, cancellationToken);

    public static (TransferEngine<CopyItem, NoPart, CopyResult> Engine, PrefixCopy Copy) Start(IAmazonS3 s3, CopyOptions options, CancellationToken cancellationToken)
    {
        PrefixCopy? copy = null;
        var engine = options.Start(s3, budget => copy = new PrefixCopy(budget, options), cancellationToken);
        return (engine, copy!);
    }

    public override string Operation => "Copy";
    public override string FallbackErrorId => ErrorIds.CopyFailed;
    public override long SizeOf(CopyItem item) => item.Source.Size;

    /// <summary>Checks the destination bucket once, before anything is listed or copied.</summary>
    public override Task PrepareAsync(CancellationToken cancellationToken) => Preflight.CheckBucketAsync(_budget, _options.DestinationBucket, cancellationToken);

    /// <summary>Every object under the source prefix that the filter accepts, in listing order. In Add/Update mode
    /// the destination is listed alongside (a merge join), so no object needs a HEAD to be compared.</summary>
    public async IAsyncEnumerable<CopyItem> PlanPrefixAsync(string sourceBucket, string sourcePrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BucketNames.Validate(sourceBucket);
        var prefix = KeyMapper.NormalizePrefix(sourcePrefix);
        CheckNoOverlap(sourceBucket, prefix);
        await using var existing = _options.Mode == TransferMode.Overwrite ? null
            : new SortedListingCursor(ObjectLister.ListAsync(_budget, _options.DestinationBucket, _destinationPrefix, _options.PageSize, cancellationToken: cancellationToken), cancellationToken);
        await foreach (var source in ObjectLister.ListAsync(_budget, sourceBucket, prefix, _options.PageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var relative = source.Key[prefix.Length..];
            if (!_options.Filter.AcceptsKey(relative) || _options.Shard?.Accepts(source.Key) == false) continue;
            var item = MapItem(source, relative);
            if (existing is not null && item.Failure is null) item.Existing = await existing.FindAsync(item.DestinationKey).ConfigureAwait(false);
            item.ExistingKnown = true;
            yield return item;
        }
    }

    /// <summary>One object (e.g. from a listing piped in). Its key is made relative to <paramref name="sourcePrefix"/>
    /// when it starts with it; size and ETag are looked up when not given.</summary>
    public async IAsyncEnumerable<CopyItem> PlanObjectAsync(string sourceBucket, string key, string? sourcePrefix, long? size, string? etag,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BucketNames.Validate(sourceBucket);
        var prefix = KeyMapper.NormalizePrefix(sourcePrefix);
        // Nothing is listed here (a piped object, a manifest row), so a destination beside or inside the source is
        // ordinary; only a copy of an object onto its own key is refused (per object, in MapItem).
        if (_options.Shard?.Accepts(key) == false) yield break;
        if (_checkedSourceBuckets.Add(sourceBucket)) await Preflight.CheckBucketAsync(_budget, sourceBucket, cancellationToken).ConfigureAwait(false);
        var relative = key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
        yield return MapItem(new ListedObject(sourceBucket, key, size ?? -1, etag, null, null), relative);
    }

    /// <summary>A copy whose destination lies inside its own source (or the reverse) could copy its own copies or
    /// overwrite objects not yet copied.</summary>
    void CheckNoOverlap(string sourceBucket, string sourcePrefix)
    {
        if (sourceBucket != _options.DestinationBucket) return;
        string src = $"s3://{sourceBucket}/{sourcePrefix}", dst = $"s3://{_options.DestinationBucket}/{_destinationPrefix}";
        if (sourcePrefix == _destinationPrefix)
            throw new S3TurboException(ErrorIds.CopyOntoItself, FailureKind.InvalidArgument,
                $"The source and destination are the same prefix ({src}): a copy onto itself would change nothing.", src);
        if (_destinationPrefix.StartsWith(sourcePrefix, StringComparison.Ordinal))
            throw new S3TurboException(ErrorIds.DestinationInsideSource, FailureKind.InvalidArgument,
                $"The destination {dst} lies inside the source {src}: the copy would list and copy its own copies. Choose a destination outside the source prefix.", dst);
        if (sourcePrefix.StartsWith(_destinationPrefix, StringComparison.Ordinal))
            throw new S3TurboException(ErrorIds.DestinationInsideSource, FailureKind.InvalidArgument,
                $"The source {src} lies inside the destination {dst}: copies could overwrite source objects before they are copied. Choose a destination that does not contain the source.", dst);
    }

    CopyItem MapItem(ListedObject source, string relative)
    {
        var destinationKey = _destinationPrefix + relative;
        string sourceUri = $"s3://{source.BucketName}/{source.Key}";
        var failure = source.BucketName == _options.DestinationBucket && source.Key == destinationKey
            ? new S3TurboException(ErrorIds.CopyOntoItself, FailureKind.InvalidArgument,
                $"{sourceUri} would be copied onto itself (its destination key is its own key): give a -DestinationPrefix or -SourcePrefix that maps it elsewhere.", sourceUri)
            : KeyMapper.CheckLength(destinationKey, $"The destination key for {sourceUri}", sourceUri);
        return new CopyItem(source, destinationKey) { Failure = failure };
    }

    public override async IAsyncEnumerable<CopyResult> RunAsync(CopyItem item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var source = item.Source;
        if (source.Size < 0 || source.ETag is null) source = item.Source = await ObjectHeads.CompleteAsync(_budget, source, cancellationToken).ConfigureAwait(false);
        if (!item.ExistingKnown && _options.Mode != TransferMode.Overwrite) item.Existing = await HeadDestinationAsync(item.DestinationKey, cancellationToken).ConfigureAwait(false);
        var skip = await SkipReasonAsync(item, cancellationToken).ConfigureAwait(false);
        yield return skip is not null ? Result(item, CopyStatus.Skipped, started) with { ETag = item.Existing!.ETag, Reason = skip }
            : dryRun ? Result(item, CopyStatus.WouldCopy, started)
            : source.Size > _options.MultipartCopyThreshold ? await CopyMultipartAsync(item, started, cancellationToken).ConfigureAwait(false)
            : await CopySingleAsync(item, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Add: the destination exists. Update: it is the source's content, by proof: the same size and ETag
    /// (no request), or, when the ETags differ (other part sizes, SSE-KMS), the same whole-object checksum (a HEAD of
    /// each with checksum mode).</summary>
    async Task<string?> SkipReasonAsync(CopyItem item, CancellationToken cancellationToken)
    {
        if (_options.Mode == TransferMode.Add) return item.Existing is not null ? "exists" : null;
        if (_options.Mode != TransferMode.Update || item.Existing is not { } existing || existing.Size != item.Source.Size) return null;
        if (EtagsEqual(existing.ETag, item.Source.ETag)) return "unchanged";
        var (source, _) = await StoredContent.HeadAsync(_budget, item.Source.BucketName, item.Source.Key, item.Source.ETag, cancellationToken).ConfigureAwait(false);
        if (source is not { IsComposite: false }) return null;
        var (destination, _) = await StoredContent.HeadAsync(_budget, _options.DestinationBucket, item.DestinationKey, null, cancellationToken).ConfigureAwait(false);
        return destination == source ? "unchanged" : null;
    }

    /// <summary>What proves a copy holds its source's bytes: the same ETag (an MD5 or MD5 of parts computed by the
    /// store from the bytes it wrote), else the same whole-object checksum (a HEAD of each). A copy that provably
    /// differs is deleted and reported as ChecksumMismatch.</summary>
    async Task<string> VerifyCopyAsync(CopyItem item, string? copyETag, StoredChecksum? sourceChecksum, CancellationToken cancellationToken)
    {
        if (EtagsEqual(copyETag, item.Source.ETag)) return "ETag";
        sourceChecksum ??= (await StoredContent.HeadAsync(_budget, item.Source.BucketName, item.Source.Key, null, cancellationToken).ConfigureAwait(false)).Checksum;
        if (sourceChecksum is not { IsComposite: false }) return "unverified: the ETags differ and the source keeps no whole-object checksum";
        var (copied, head) = await StoredContent.HeadAsync(_budget, _options.DestinationBucket, item.DestinationKey, null, cancellationToken).ConfigureAwait(false);
        if (copied is null || copied.Algorithm != sourceChecksum.Algorithm) return "unverified: the copy keeps no checksum of the source's algorithm";
        if (copied.Value == sourceChecksum.Value) return sourceChecksum.Algorithm.ToString();
        var delete = new DeleteObjectRequest { BucketName = _options.DestinationBucket, Key = item.DestinationKey, VersionId = string.IsNullOrEmpty(head.VersionId) ? null : head.VersionId };
        try { await _budget.RunAsync(ct => _s3.DeleteObjectAsync(delete, ct), 0, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception) { /* the mismatch is the error reported */ }
        throw new S3TurboException(ErrorIds.ChecksumMismatch, FailureKind.InvalidData,
            $"The copy of s3://{item.Source.BucketName}/{item.Source.Key} holds {copied}, its source {sourceChecksum}: the copy was deleted.", $"s3://{item.Source.BucketName}/{item.Source.Key}");
    }

    static bool EtagsEqual(string? a, string? b) => a is not null && b is not null && a.Trim('"') == b.Trim('"');

    async Task<ListedObject?> HeadDestinationAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _budget.RunAsync(ct => _s3.GetObjectMetadataAsync(_options.DestinationBucket, key, ct), 0, cancellationToken).ConfigureAwait(false);
            return new ListedObject(_options.DestinationBucket, key, head.ContentLength, head.ETag, head.StorageClass?.Value, head.LastModified);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket") { return null; }
    }

    async Task<CopyResult> CopySingleAsync(CopyItem item, Stopwatch started, CancellationToken cancellationToken)
    {
        var source = item.Source;
        var request = new CopyObjectRequest
        {
            SourceBucket = source.BucketName, SourceKey = source.Key,
            DestinationBucket = _options.DestinationBucket, DestinationKey = item.DestinationKey,
            // Pinned to what was listed: an object overwritten since then fails (412) instead of being copied unseen.
            ETagToMatch = source.ETag,
        };
        bool replace = _options.MetadataDirective == MetadataDirective.Replace;
        request.MetadataDirective = replace ? S3MetadataDirective.REPLACE : S3MetadataDirective.COPY;
        // Storage class, ACL, encryption and tags given by the user apply even when metadata is copied.
        _options.Settings.ApplyTo(request, item.DestinationKey, withMetadata: replace);
        // CopyObject writes STANDARD unless told otherwise: keep the source's class.
        if (_options.Settings.StorageClass is null && source.StorageClass is { Length: > 0 } sc) request.StorageClass = S3StorageClass.FindValue(sc);
        if (_options.Settings.Tags.Count > 0) request.TaggingDirective = TaggingDirective.REPLACE;
        else if (!_options.CopyTags) { request.TaggingDirective = TaggingDirective.REPLACE; request.TagSet = new List<Tag>(); }
        // The copy gets a whole-object checksum (stores that copy the source's keep that one instead).
        request.ChecksumAlgorithm = Checksums.ToSdk(_options.Settings.Checksum);
        var response = await _budget.RunAsync(ct => _s3.CopyObjectAsync(request, ct), source.Size, cancellationToken).ConfigureAwait(false);
        var verification = await VerifyCopyAsync(item, response.ETag, null, cancellationToken).ConfigureAwait(false);
        // Stores differ in how they honour the tagging directive: when the tags are not simply carried over, set them.
        var wantedTags = _options.Settings.Tags.Count > 0 ? ObjectTagging.ToTags(_options.Settings.Tags)
            : !_options.CopyTags ? new List<Tag>()
            : _options.MetadataDirective == MetadataDirective.Replace ? await ObjectTagging.GetAsync(_budget, source.BucketName, source.Key, cancellationToken).ConfigureAwait(false)
            : null;
        if (wantedTags is not null) await ObjectTagging.SetAsync(_budget, _options.DestinationBucket, item.DestinationKey, wantedTags, cancellationToken).ConfigureAwait(false);
        return Result(item, CopyStatus.Copied, started) with { ETag = response.ETag, Parts = 1, Verification = verification };
    }

    /// <summary>UploadPartCopy does not carry metadata, tags or encryption over, so they are read from the source
    /// (HEAD, GetObjectTagging) and set on the new upload. Parts mirror the source's part layout when it can be
    /// learned, so the copy gets the same ETag and a later Update run can recognise it.</summary>
    async Task<CopyResult> CopyMultipartAsync(CopyItem item, Stopwatch started, CancellationToken cancellationToken)
    {
        var source = item.Source;
        await _largeObjects.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (sourceChecksum, head) = await StoredContent.HeadAsync(_budget, source.BucketName, source.Key, source.ETag, cancellationToken).ConfigureAwait(false);
            // The copy keeps the source's algorithm when it has a whole-object CRC, else gets the run's: FULL_OBJECT.
            var algorithm = sourceChecksum is { IsComposite: false } && Checksums.IsCrc(sourceChecksum.Algorithm) ? sourceChecksum.Algorithm
                : Checksums.IsCrc(_options.Settings.Checksum) ? _options.Settings.Checksum : ChecksumAlgorithm.None;
            var initiate = new InitiateMultipartUploadRequest { BucketName = _options.DestinationBucket, Key = item.DestinationKey };
            if (algorithm != ChecksumAlgorithm.None) { initiate.ChecksumAlgorithm = Checksums.ToSdk(algorithm); initiate.ChecksumType = ChecksumType.FULL_OBJECT; }
            bool replace = _options.MetadataDirective == MetadataDirective.Replace;
            if (!replace)
            {
                CopyHeaders(head, initiate);
                if (_options.Settings.StorageClass is null)
                    initiate.StorageClass = head.StorageClass ?? (source.StorageClass is { } c ? S3StorageClass.FindValue(c) : null);
            }
            _options.Settings.ApplyTo(initiate, item.DestinationKey, withMetadata: replace);
            if (_options.Settings.Tags.Count == 0 && _options.CopyTags && head.TagsCount is not 0)
                initiate.TagSet = await ObjectTagging.GetAsync(_budget, source.BucketName, source.Key, cancellationToken).ConfigureAwait(false);
            long partSize = await ChooseCopyPartSizeAsync(source, cancellationToken).ConfigureAwait(false);
            int partCount = PartSizing.PartCount(source.Size, partSize);
            var upload = new MultipartUploadSession(_budget, _options.DestinationBucket, item.DestinationKey);
            await upload.StartAsync(initiate, cancellationToken).ConfigureAwait(false);
            var completed = await upload.RunCopyPartsAsync(partCount, partNumber =>
            {
                long first = (partNumber - 1) * partSize;
                long length = Math.Min(partSize, source.Size - first);
                return (new CopyPartRequest
                {
                    SourceBucket = source.BucketName, SourceKey = source.Key, FirstByte = first, LastByte = first + length - 1,
                    ETagToMatch = new List<string> { source.ETag! },
                }, length);
            }, cancellationToken).ConfigureAwait(false);
            var verification = await VerifyCopyAsync(item, completed.ETag, sourceChecksum, cancellationToken).ConfigureAwait(false);
            if (initiate.TagSet is { Count: > 0 } wanted) await ObjectTagging.SetAsync(_budget, _options.DestinationBucket, item.DestinationKey, wanted, cancellationToken).ConfigureAwait(false);
            return Result(item, CopyStatus.Copied, started) with { ETag = completed.ETag, Parts = partCount, Verification = verification };
        }
        finally { _largeObjects.Release(); }
    }

    static void CopyHeaders(GetObjectMetadataResponse head, InitiateMultipartUploadRequest initiate)
    {
        initiate.ContentType = head.Headers.ContentType;
        foreach (var name in head.Metadata.Keys) initiate.Metadata[name] = head.Metadata[name];
        if (head.Headers.CacheControl is { } cc) initiate.Headers.CacheControl = cc;
        if (head.Headers.ContentDisposition is { } cd) initiate.Headers.ContentDisposition = cd;
        if (head.Headers.ContentEncoding is { } ce) initiate.Headers.ContentEncoding = ce;
        if (head.Headers.ContentLanguage is { } cl) initiate.Headers.ContentLanguage = cl;
        if (head.ExpiresString is { Length: > 0 } expires) initiate.Headers["Expires"] = expires;
        if (head.WebsiteRedirectLocation is { Length: > 0 } redirect) initiate.WebsiteRedirectLocation = redirect;
        if (head.ServerSideEncryptionMethod is { } sse && sse != ServerSideEncryptionMethod.None) initiate.ServerSideEncryptionMethod = sse;
        if (head.ServerSideEncryptionKeyManagementServiceKeyId is { Length: > 0 } kms) initiate.ServerSideEncryptionKeyManagementServiceKeyId = kms;
    }

    /// <summary>The source's own part size when its ETag says it was a multipart upload of uniform parts (learned
    /// with a HEAD of part 1) and UploadPartCopy can take parts of that size, else the configured size grown to stay
    /// within 10,000 parts.</summary>
    async Task<long> ChooseCopyPartSizeAsync(ListedObject source, CancellationToken cancellationToken) =>
        await ObjectHeads.PartSizeAsync(_budget, source, cancellationToken).ConfigureAwait(false) is long size
            && size >= PartSizing.MinPartSize && size <= PartSizing.MaxPartSize
            ? size : PartSizing.ChoosePartSize(source.Size, _options.PartSize);

    CopyResult Result(CopyItem item, CopyStatus status, Stopwatch? started) => new()
    {
        SourceBucket = item.Source.BucketName, SourceKey = item.Source.Key, DestinationBucket = _options.DestinationBucket,
        DestinationKey = item.DestinationKey, Size = Math.Max(0, item.Source.Size), ETag = item.Source.ETag, Status = status, Duration = started?.Elapsed ?? TimeSpan.Zero,
    };

    public override IEnumerable<CopyResult> Failed(CopyItem item, S3TurboException failure, TimeSpan elapsed) =>
        new[] { Result(item, CopyStatus.Failed, null) with { Reason = failure.Message, Error = failure, Duration = elapsed } };

    /// <summary>A copy's destination key stands for its source (copied or found up to date).</summary>
    public override void RecordMirrorSource(CopyResult result, Remove.MirrorSources sources) => sources.AddKey(result.DestinationKey);

    public override string? SettlementKey(CopyItem item) => item.Source.BucketName + "/" + item.Source.Key;
    public override string? SettlementKey(CopyResult result) => result.SourceBucket + "/" + result.SourceKey;

    public override S3TurboException Classify(Exception ex, CopyItem item)
    {
        string source = $"s3://{item.Source.BucketName}/{item.Source.Key}";
        if (ex is AmazonS3Exception { ErrorCode: "NoSuchKey" } || ex is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound } && item.Source.Size < 0)
            return new S3TurboException(ErrorIds.SourceNotFound, FailureKind.NotFound, $"{source} does not exist (it may have been deleted after it was listed).", source, ex);
        if (ex is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed })
            return new S3TurboException(ErrorIds.SourceChanged, FailureKind.InvalidData,
                $"{source} changed after it was listed (its ETag no longer matches), so it was not copied. Run the copy again to copy the new version.", source, ex);
        var failure = ErrorClassifier.Classify(ex, FallbackErrorId, _options.DestinationBucket, item.DestinationKey, settings: _options.Settings);
        if (failure.Kind is FailureKind.Stopped or FailureKind.NotSupported) return failure;
        return new S3TurboException(failure.ErrorId, failure.Kind, $"Copying {source} to s3://{_options.DestinationBucket}/{item.DestinationKey} failed: {failure.Message}",
            source, ex) { IsFatalForRun = failure.IsFatalForRun };
    }
}

/// <summary>One object to copy, with what the planning listing already knows of its destination.</summary>
public sealed class CopyItem : TransferItem
{
    internal CopyItem(ListedObject source, string destinationKey) { Source = source; DestinationKey = destinationKey; }
    public ListedObject Source { get; internal set; }
    public string DestinationKey { get; }
    internal ListedObject? Existing { get; set; }
    internal bool ExistingKnown { get; set; }
}
