using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Remove;

public sealed class RemoveOptions : TransferOptions
{
    // An item is a batch of up to 1,000 keys (one DeleteObjects request): a few in flight keep the store busy, and
    // a short queue keeps memory at a few batches however long the listing is.
    public RemoveOptions() { InitialConcurrency = 8; MaxItemsInFlight = 32; QueueCapacity = 8; }

    /// <summary>Remove every version and delete marker (ListObjectVersions), not only the current objects.</summary>
    public bool AllVersions { get; init; }
    /// <summary>Keys per DeleteObjects request (S3's maximum is 1,000).</summary>
    public int BatchSize { get; init; } = MaxBatchSize;
    public const int MaxBatchSize = 1000;
    /// <summary>Listing page size (S3's maximum is 1,000; tests use small pages).</summary>
    public int PageSize { get; init; } = 1000;
    public WildcardFilter Filter { get; init; } = new(null, null);

    public override void Validate()
    {
        base.Validate();
        if (BatchSize is < 1 or > MaxBatchSize)
            throw new S3TurboException(ErrorIds.InvalidBatchSize, FailureKind.InvalidArgument, $"-BatchSize {BatchSize} must be between 1 and 1000 (S3's DeleteObjects limit).", BatchSize);
        if (PageSize is < 1 or > 1000)
            throw new S3TurboException(ErrorIds.InvalidPageSize, FailureKind.InvalidArgument, $"-PageSize {PageSize} must be between 1 and 1000.", PageSize);
    }
}

/// <summary>One key to remove: the current object (VersionId null) or one version or delete marker; or, with an
/// UploadId, an incomplete multipart upload to abort.</summary>
public readonly record struct RemovalKey(string Key, string? VersionId, long Size, bool IsDeleteMarker, string? UploadId = null, DateTime? Initiated = null);

/// <summary>Keys of one bucket removed by one DeleteObjects request.</summary>
public sealed class RemovalBatch : TransferItem
{
    public RemovalBatch(string bucketName, IReadOnlyList<RemovalKey> keys) { BucketName = bucketName; Keys = keys; }
    public string BucketName { get; }
    public IReadOnlyList<RemovalKey> Keys { get; }
}

/// <summary>Bulk removal: a streamed listing (objects, or with AllVersions every version and delete marker) is cut
/// into batches of up to 1,000 keys, each one DeleteObjects request; several batches are in flight within the
/// run's request budget, which backs off on SlowDown. Each key's outcome comes back on its own, so a key the store
/// refuses (AccessDenied) is reported with its key and the rest of its batch still goes.</summary>
public sealed class PrefixRemoval : TransferAction<RemovalBatch, RemoveResult>
{
    readonly RequestBudget _budget;
    readonly RemoveOptions _options;

    PrefixRemoval(RequestBudget budget, RemoveOptions options) { _budget = budget; _options = options; }

    public static (TransferEngine<RemovalBatch, NoPart, RemoveResult> Engine, PrefixRemoval Removal) Start(S3Connection connection, RemoveOptions options, CancellationToken cancellationToken) =>
        Start(connection.Client, options, cancellationToken);

    public static (TransferEngine<RemovalBatch, NoPart, RemoveResult> Engine, PrefixRemoval Removal) Start(IAmazonS3 s3, RemoveOptions options, CancellationToken cancellationToken)
    {
        PrefixRemoval? removal = null;
        var engine = options.Start(s3, budget => removal = new PrefixRemoval(budget, options), cancellationToken);
        return (engine, removal!);
    }

    /// <summary>A removal that follows another run over that run's request budget (a mirror's deletions).</summary>
    public static (TransferEngine<RemovalBatch, NoPart, RemoveResult> Engine, PrefixRemoval Removal) Start(RequestBudget sharedBudget, RemoveOptions options, CancellationToken cancellationToken)
    {
        PrefixRemoval? removal = null;
        var engine = options.Start(sharedBudget, budget => removal = new PrefixRemoval(budget, options), cancellationToken);
        return (engine, removal!);
    }

    public override string Operation => "Remove";
    public override string FallbackErrorId => ErrorIds.RemoveFailed;
    public override long SizeOf(RemovalBatch item) => item.Keys.Sum(k => k.Size);
    public override int CountOf(RemovalBatch item) => item.Keys.Count;

    /// <summary>Everything under the prefix that the filter accepts, in batches. The prefix names a folder ("logs"
    /// and "logs/" both mean logs/), so "logs2/" is never touched; "" is the whole bucket.</summary>
    public IAsyncEnumerable<RemovalBatch> PlanPrefixAsync(string bucket, string prefix, CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        return BatchAsync(bucket, ListAsync(bucket, KeyMapper.NormalizePrefix(prefix), cancellationToken), cancellationToken);
    }

    async IAsyncEnumerable<RemovalKey> ListAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (_options.AllVersions)
        {
            await foreach (var v in ObjectLister.ListVersionsAsync(_budget, bucket, prefix, _options.PageSize, cancellationToken).ConfigureAwait(false))
                if (_options.Filter.AcceptsKey(v.Key[prefix.Length..]) && _options.Shard?.Accepts(v.Key) != false) yield return new RemovalKey(v.Key, v.VersionId, v.Size, v.IsDeleteMarker);
        }
        else
        {
            await foreach (var o in ObjectLister.ListAsync(_budget, bucket, prefix, _options.PageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
                if (_options.Filter.AcceptsKey(o.Key[prefix.Length..]) && _options.Shard?.Accepts(o.Key) != false) yield return new RemovalKey(o.Key, null, o.Size, false);
        }
    }

    /// <summary>-IncompleteUploads: the multipart uploads under the prefix that were begun and neither completed nor
    /// aborted (what a killed run, or any tool, leaves), those begun more than <paramref name="olderThan"/> ago when
    /// it is given, in batches; each is aborted, which frees its stored parts.</summary>
    public IAsyncEnumerable<RemovalBatch> PlanIncompleteUploadsAsync(string bucket, string prefix, TimeSpan? olderThan, CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        return BatchAsync(bucket, ListUploadsAsync(bucket, KeyMapper.NormalizePrefix(prefix), olderThan, cancellationToken), cancellationToken);
    }

    async IAsyncEnumerable<RemovalKey> ListUploadsAsync(string bucket, string prefix, TimeSpan? olderThan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var before = olderThan is { } age ? _options.TimeProvider.GetUtcNow().UtcDateTime - age : (DateTime?)null;
        await foreach (var u in ObjectLister.ListUploadsAsync(_budget, bucket, prefix, _options.PageSize, cancellationToken).ConfigureAwait(false))
            if ((before is null || u.Initiated is { } begun && begun < before) && _options.Filter.AcceptsKey(u.Key[prefix.Length..]) && _options.Shard?.Accepts(u.Key) != false)
                yield return new RemovalKey(u.Key, null, 0, false, u.UploadId, u.Initiated);
    }

    /// <summary>The objects a manifest names (the version a Batch Operations row gives, if any), in batches per
    /// bucket, within the run's shard.</summary>
    public async IAsyncEnumerable<RemovalBatch> PlanManifestAsync(IAsyncEnumerable<Manifest.ManifestEntry> entries, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? bucket = null;
        var batch = new List<RemovalKey>();
        await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (_options.Shard?.Accepts(entry.Key) == false) continue;
            if (bucket is not null && (entry.BucketName != bucket || batch.Count >= _options.BatchSize))
            {
                yield return new RemovalBatch(bucket, batch);
                batch = new List<RemovalKey>();
            }
            bucket = entry.BucketName;
            batch.Add(new RemovalKey(entry.Key, entry.VersionId, entry.Size ?? 0, false));
        }
        if (bucket is not null && batch.Count > 0) yield return new RemovalBatch(bucket, batch);
    }

    /// <summary>The destination objects of a mirrored run that have no source (see <see cref="Mirror.ExtrasAsync"/>), in batches.</summary>
    public IAsyncEnumerable<RemovalBatch> PlanMirrorAsync(S3MirrorTarget target, MirrorSources sources, CancellationToken cancellationToken)
    {
        BucketNames.Validate(target.BucketName);
        return BatchAsync(target.BucketName, Mirror.ExtrasAsync(_budget, target, sources, _options.PageSize, cancellationToken), cancellationToken);
    }

    /// <summary>Keys given one by one (piped objects, a mirror's extra keys), in batches.</summary>
    public async IAsyncEnumerable<RemovalBatch> BatchAsync(string bucket, IAsyncEnumerable<RemovalKey> keys, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<RemovalKey>(Math.Min(_options.BatchSize, 64));
        await foreach (var key in keys.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(key);
            if (batch.Count < _options.BatchSize) continue;
            yield return new RemovalBatch(bucket, batch);
            batch = new List<RemovalKey>(64);
        }
        if (batch.Count > 0) yield return new RemovalBatch(bucket, batch);
    }

    /// <summary>Piped objects, gathered into batches of up to BatchSize keys of one bucket.</summary>
    public PipedBatches<RemovalKey, RemovalBatch> PipedBatches() => new(_options.BatchSize, Batch);

    /// <summary>A piped object within the run's shard (false when another shard removes it).</summary>
    public bool InShard(string key) => _options.Shard?.Accepts(key) != false;

    /// <summary>A batch of keys given directly (piped objects).</summary>
    public RemovalBatch Batch(string bucket, IReadOnlyList<RemovalKey> keys)
    {
        BucketNames.Validate(bucket);
        if (keys.Count > _options.BatchSize) throw new ArgumentException($"At most {_options.BatchSize} keys per batch.", nameof(keys));
        return new RemovalBatch(bucket, keys);
    }

    public override async IAsyncEnumerable<RemoveResult> RunAsync(RemovalBatch item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (dryRun)
        {
            foreach (var key in item.Keys) yield return Result(item.BucketName, key, RemoveStatus.WouldDelete);
            yield break;
        }
        if (item.Keys.Count > 0 && item.Keys[0].UploadId is not null)
        {
            // Aborts, at once within the run's request budget; outcomes in the batch's order.
            var aborts = item.Keys.Select(key => AbortAsync(item.BucketName, key, cancellationToken)).ToList();
            foreach (var abort in aborts) yield return await abort.ConfigureAwait(false);
            yield break;
        }
        // DeleteObjects names its keys in an XML body, which cannot carry control characters (XML 1.0 has no way to
        // write ESC, and a parser turns CR into LF: "a\rb" would remove "a\nb"). Such keys go one at a time.
        var batched = item.Keys.All(k => SafeInXml(k.Key)) ? item.Keys : item.Keys.Where(k => SafeInXml(k.Key)).ToList();
        if (batched.Count > 0)
            await foreach (var result in RemoveBatchAsync(item, batched, cancellationToken).ConfigureAwait(false)) yield return result;
        if (batched.Count < item.Keys.Count)
            foreach (var key in item.Keys.Where(k => !SafeInXml(k.Key))) yield return await RemoveOneAsync(item.BucketName, key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One DeleteObjects request for the keys; each key's outcome on its own.</summary>
    async IAsyncEnumerable<RemoveResult> RemoveBatchAsync(RemovalBatch item, IReadOnlyList<RemovalKey> batched, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new DeleteObjectsRequest
        {
            BucketName = item.BucketName, Quiet = true, // only the failures come back
            Objects = batched.Select(k => new KeyVersion { Key = k.Key, VersionId = k.VersionId }).ToList(),
        };
        List<DeleteError> errors;
        S3TurboException? whole = null;
        try
        {
            var response = await _budget.RunAsync(ct => _budget.Client.DeleteObjectsAsync(request, ct), 0, cancellationToken).ConfigureAwait(false);
            errors = response.DeleteErrors ?? new List<DeleteError>();
        }
        catch (DeleteObjectsException ex) { errors = ex.Response?.DeleteErrors ?? new List<DeleteError>(); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The request as a whole failed (denied, throttled beyond the retries): every key of the batch failed.
            whole = ErrorClassifier.Classify(ex, FallbackErrorId, item.BucketName, batched.Count > 1 ? null : batched[0].Key);
            if (whole.IsFatalForRun) throw whole;
            errors = new List<DeleteError>();
        }
        // Matched by key, and by version when one was sent: a store may name a version in an error for a key sent
        // without one, and that key must not be reported as removed.
        var failed = errors.ToLookup(e => e.Key, StringComparer.Ordinal);
        foreach (var key in batched)
        {
            if (whole is not null) { yield return Failure(item.BucketName, key, whole); continue; }
            var error = failed[key.Key].FirstOrDefault(e => key.VersionId is null || NullIfEmpty(e.VersionId) is null || e.VersionId == key.VersionId);
            if (error is not null)
                yield return Failure(item.BucketName, key, ErrorClassifier.Classify(
                    new AmazonS3Exception(error.Message) { ErrorCode = error.Code, StatusCode = StatusOf(error.Code) }, FallbackErrorId, item.BucketName, key.Key));
            else yield return Result(item.BucketName, key, RemoveStatus.Deleted);
        }
    }

    /// <summary>One key by DeleteObject, which names it in the URL (for keys an XML body cannot carry).</summary>
    async Task<RemoveResult> RemoveOneAsync(string bucket, RemovalKey key, CancellationToken cancellationToken)
    {
        try
        {
            await _budget.RunAsync(ct => _budget.Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key.Key, VersionId = key.VersionId }, ct),
                0, cancellationToken).ConfigureAwait(false);
            return Result(bucket, key, RemoveStatus.Deleted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var failure = ErrorClassifier.Classify(ex, FallbackErrorId, bucket, key.Key);
            if (failure.IsFatalForRun) throw failure;
            return Failure(bucket, key, failure);
        }
    }

    async Task<RemoveResult> AbortAsync(string bucket, RemovalKey upload, CancellationToken cancellationToken)
    {
        try
        {
            await _budget.RunAsync(ct => _budget.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = upload.Key, UploadId = upload.UploadId }, ct),
                0, cancellationToken).ConfigureAwait(false);
            return Result(bucket, upload, RemoveStatus.Deleted);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchUpload") { return Result(bucket, upload, RemoveStatus.Deleted) with { Reason = "already gone" }; }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var failure = ErrorClassifier.Classify(ex, FallbackErrorId, bucket, upload.Key);
            if (failure.IsFatalForRun) throw failure;
            return Failure(bucket, upload, failure);
        }
    }

    /// <summary>Whether the key can be written in an XML 1.0 body unchanged: no control characters (not even tab,
    /// CR or LF, which parsers normalise), no lone surrogates, no U+FFFE/U+FFFF.</summary>
    static bool SafeInXml(string key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            if (c < 0x20 || c is '\uFFFE' or '\uFFFF') return false;
            if (char.IsHighSurrogate(c)) { if (i + 1 >= key.Length || !char.IsLowSurrogate(key[i + 1])) return false; i++; }
            else if (char.IsLowSurrogate(c)) return false;
        }
        return true;
    }

    static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    static System.Net.HttpStatusCode StatusOf(string? code) => code switch
    {
        "AccessDenied" => System.Net.HttpStatusCode.Forbidden,
        "NoSuchKey" or "NoSuchVersion" => System.Net.HttpStatusCode.NotFound,
        "SlowDown" => System.Net.HttpStatusCode.ServiceUnavailable,
        _ => System.Net.HttpStatusCode.InternalServerError,
    };

    static RemoveResult Result(string bucket, RemovalKey key, RemoveStatus status) => new()
    {
        BucketName = bucket, Key = key.Key, VersionId = key.VersionId, IsDeleteMarker = key.IsDeleteMarker, Size = key.Size, Status = status,
        UploadId = key.UploadId, Initiated = key.Initiated,
    };

    static RemoveResult Failure(string bucket, RemovalKey key, S3TurboException error) =>
        Result(bucket, key, RemoveStatus.Failed) with { Error = error.WithTarget(key.Key), Reason = error.Message };

    /// <summary>Every key of a failed batch fails with it, in the order its outcomes are given (keys sent in the
    /// DeleteObjects request first, then the ones removed one at a time).</summary>
    public override IEnumerable<RemoveResult> Failed(RemovalBatch item, S3TurboException failure, TimeSpan elapsed) =>
        item.Keys.Where(k => SafeInXml(k.Key)).Concat(item.Keys.Where(k => !SafeInXml(k.Key))).Select(key => Failure(item.BucketName, key, failure));

    public override S3TurboException Classify(Exception exception, RemovalBatch item) =>
        exception as S3TurboException ?? ErrorClassifier.Classify(exception, FallbackErrorId, item.BucketName, item.Keys.Count > 1 ? null : item.Keys.FirstOrDefault().Key);
}
