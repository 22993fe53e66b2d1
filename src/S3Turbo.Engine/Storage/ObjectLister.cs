using System.Runtime.CompilerServices;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Storage;

/// <summary>One listed object, with only what the transfer engines need (the SDK type stays inside the engine).</summary>
public sealed record ListedObject(string BucketName, string Key, long Size, string? ETag, string? StorageClass, DateTime? LastModified);

/// <summary>One listed version or delete marker.</summary>
public sealed record ListedVersion(string BucketName, string Key, string VersionId, long Size, bool IsDeleteMarker);

/// <summary>A multipart upload that was begun and neither completed nor aborted.</summary>
public sealed record ListedUpload(string BucketName, string Key, string UploadId, DateTime? Initiated);

/// <summary>Streams a ListObjectsV2 listing page by page. The next page is requested while the caller consumes
/// the current one, so listing overlaps with the work it feeds; at most two pages are held at once, never the
/// whole listing.</summary>
public static class ObjectLister
{
    /// <summary>A failed page is reported as "Listing s3://bucket/prefix failed: …". A missing bucket concerns this
    /// listing only (other sources may still be listed); bad credentials or an unreachable store concern all.
    /// A delimiter of "/" lists one folder: its objects, not those of its subfolders.</summary>
    public static IAsyncEnumerable<ListedObject> ListAsync(RequestBudget budget, string bucket, string prefix,
        int pageSize = 1000, string? startAfter = null, CancellationToken cancellationToken = default, string? delimiter = null) =>
        PagesAsync<string, ListObjectsV2Request, ListObjectsV2Response, ListedObject>(budget, bucket, prefix, token => new ListObjectsV2Request
            {
                BucketName = bucket, Prefix = prefix.Length == 0 ? null : prefix, MaxKeys = pageSize, ContinuationToken = token,
                StartAfter = token is null ? startAfter : null, Delimiter = delimiter,
            }, (request, ct) => budget.Client.ListObjectsV2Async(request, ct),
            page => page.IsTruncated == true && !string.IsNullOrEmpty(page.NextContinuationToken) ? page.NextContinuationToken : null,
            page => (page.S3Objects ?? new List<S3Object>()).Select(o => new ListedObject(bucket, o.Key, o.Size ?? 0, o.ETag, o.StorageClass?.Value, o.LastModified)),
            cancellationToken);

    /// <summary>Every version and delete marker under the prefix (ListObjectVersions), in the store's order: by key,
    /// newest version first. On an unversioned bucket each object is one version with VersionId "null".</summary>
    public static IAsyncEnumerable<ListedVersion> ListVersionsAsync(RequestBudget budget, string bucket, string prefix,
        int pageSize = 1000, CancellationToken cancellationToken = default) =>
        PagesAsync<VersionMarker, ListVersionsRequest, ListVersionsResponse, ListedVersion>(budget, bucket, prefix, marker => new ListVersionsRequest
            {
                BucketName = bucket, Prefix = prefix.Length == 0 ? null : prefix, MaxKeys = pageSize,
                KeyMarker = marker?.Key, VersionIdMarker = marker?.VersionId,
            }, (request, ct) => budget.Client.ListVersionsAsync(request, ct),
            page => page.IsTruncated == true ? new VersionMarker(page.NextKeyMarker, page.NextVersionIdMarker) : null,
            page => (page.Versions ?? new List<S3ObjectVersion>()).Select(v => new ListedVersion(bucket, v.Key, v.VersionId, v.Size ?? 0, v.IsDeleteMarker == true)),
            cancellationToken);

    sealed record VersionMarker(string Key, string VersionId);

    /// <summary>The multipart uploads begun under the prefix and neither completed nor aborted (ListMultipartUploads),
    /// page by page, in key order then by when they began.</summary>
    public static IAsyncEnumerable<ListedUpload> ListUploadsAsync(RequestBudget budget, string bucket, string prefix,
        int pageSize = 1000, CancellationToken cancellationToken = default) =>
        PagesAsync<VersionMarker, ListMultipartUploadsRequest, ListMultipartUploadsResponse, ListedUpload>(budget, bucket, prefix, marker => new ListMultipartUploadsRequest
            {
                BucketName = bucket, Prefix = prefix.Length == 0 ? null : prefix, MaxUploads = pageSize,
                KeyMarker = marker?.Key, UploadIdMarker = marker?.VersionId,
            }, (request, ct) => budget.Client.ListMultipartUploadsAsync(request, ct),
            page => page.IsTruncated == true ? new VersionMarker(page.NextKeyMarker, page.NextUploadIdMarker) : null,
            page => (page.MultipartUploads ?? new List<MultipartUpload>()).Select(u => new ListedUpload(bucket, u.Key, u.UploadId, u.Initiated?.ToUniversalTime())),
            cancellationToken);

    /// <summary>The paging loop both listings share: the next page is fetched while this one is consumed.</summary>
    static async IAsyncEnumerable<TItem> PagesAsync<TMarker, TRequest, TPage, TItem>(RequestBudget budget, string bucket, string prefix,
        Func<TMarker?, TRequest> request, Func<TRequest, CancellationToken, Task<TPage>> send, Func<TPage, TMarker?> next,
        Func<TPage, IEnumerable<TItem>> items, [EnumeratorCancellation] CancellationToken cancellationToken) where TMarker : class
    {
        async Task<TPage> Fetch(TMarker? marker)
        {
            var pageRequest = request(marker);
            try { return await budget.RunAsync(ct => send(pageRequest, ct), 0, cancellationToken).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var failure = ErrorClassifier.Classify(ex, ErrorIds.ListFailed, bucket, null);
                throw new S3TurboException(failure.ErrorId, failure.Kind, $"Listing s3://{bucket}/{prefix} failed: {failure.Message}", failure.Target, ex)
                    { IsFatalForRun = failure.IsFatalForRun && failure.ErrorId != ErrorIds.BucketNotFound };
            }
        }

        Task<TPage>? pending = Fetch(null);
        while (pending is not null)
        {
            var page = await pending.ConfigureAwait(false);
            pending = next(page) is { } marker ? Fetch(marker) : null;
            try
            {
                foreach (var item in items(page)) yield return item;
            }
            finally
            {
                // The consumer stopped early: observe the prefetch so its failure is not left unobserved.
                if (pending is not null && !pending.IsCompleted) _ = pending.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            }
        }
    }
}

/// <summary>The order S3 lists keys in: by the bytes of their UTF-8 encoding (string.CompareOrdinal compares UTF-16
/// code units, which differs for characters beyond the Basic Multilingual Plane).</summary>
public sealed class Utf8KeyComparer : IComparer<string>
{
    public static readonly Utf8KeyComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var ex = x.EnumerateRunes();
        var ey = y.EnumerateRunes();
        while (true)
        {
            bool hx = ex.MoveNext(), hy = ey.MoveNext();
            if (!hx || !hy) return hx == hy ? 0 : hx ? 1 : -1;
            // UTF-8 preserves code-point order, so comparing scalar values compares the encoded bytes.
            int c = ex.Current.Value.CompareTo(ey.Current.Value);
            if (c != 0) return c;
        }
    }
}

/// <summary>Answers "does the destination already hold this key, and with what size and ETag?" for keys asked in
/// listing order, by walking the destination's own listing alongside (a merge join): one LIST request per 1,000
/// keys instead of one HEAD per key. Not thread-safe: the single producer that walks the source asks it.</summary>
public sealed class SortedListingCursor : IAsyncDisposable
{
    readonly IAsyncEnumerator<ListedObject> _listing;
    ListedObject? _current;
    bool _started, _ended;

    public SortedListingCursor(IAsyncEnumerable<ListedObject> sortedListing, CancellationToken cancellationToken) =>
        _listing = sortedListing.GetAsyncEnumerator(cancellationToken);

    /// <summary>The listed object with exactly this key, or null. Keys must be asked in ascending UTF-8 order.</summary>
    public async ValueTask<ListedObject?> FindAsync(string key)
    {
        if (!_started) { _started = true; await AdvanceAsync().ConfigureAwait(false); }
        while (!_ended && Utf8KeyComparer.Instance.Compare(_current!.Key, key) < 0) await AdvanceAsync().ConfigureAwait(false);
        return !_ended && _current!.Key == key ? _current : null;
    }

    async ValueTask AdvanceAsync()
    {
        if (await _listing.MoveNextAsync().ConfigureAwait(false)) _current = _listing.Current;
        else { _ended = true; _current = null; }
    }

    public ValueTask DisposeAsync() => _listing.DisposeAsync();
}
