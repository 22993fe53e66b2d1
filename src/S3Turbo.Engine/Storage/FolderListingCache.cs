namespace S3Turbo.Engine.Storage;

/// <summary>Answers "what does the bucket hold at this key?" from one delimiter listing of the key's folder (one
/// request per 1,000 keys) instead of one HEAD per key. A directory walk asks for the files of one folder together,
/// so only the folders being worked on are held: at most <see cref="MaxFolders"/> listings of at most
/// <see cref="MaxKeysPerFolder"/> keys each (about 30 MB at most). A larger folder, or one the credentials may not
/// list, is not held: its keys are answered as unknown and the caller asks the object itself. Thread-safe: workers
/// asking for the same folder share one listing.</summary>
public sealed class FolderListingCache
{
    public const int MaxFolders = 16;
    public const int MaxKeysPerFolder = 10_000;
    readonly RequestBudget _budget;
    readonly string _bucket;
    readonly object _gate = new();
    readonly LinkedList<string> _recent = new();
    readonly Dictionary<string, (LinkedListNode<string> Node, Task<Dictionary<string, ListedObject>?> Listing)> _folders = new(StringComparer.Ordinal);

    string? _emptyPrefix;

    public FolderListingCache(RequestBudget budget, string bucket) { _budget = budget; _bucket = bucket; }

    /// <summary>One listing of at most one key under the run's prefix: when the prefix holds nothing as the run starts,
    /// every key under it is answered as absent without listing its folder (a first upload of a tree costs one
    /// request instead of one per folder). Objects written under it during the run are the run's own.</summary>
    public async Task PrimeAsync(string prefix, CancellationToken cancellationToken)
    {
        try
        {
            // One request (the streamed lister would fetch its next page ahead).
            var page = await _budget.RunAsync(ct => _budget.Client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request
                { BucketName = _bucket, Prefix = prefix, MaxKeys = 1 }, ct), 0, cancellationToken).ConfigureAwait(false);
            if (page.S3Objects is not { Count: > 0 } && page.KeyCount is null or 0) _emptyPrefix = prefix;
        }
        catch (Amazon.S3.AmazonS3Exception denied) when (denied.StatusCode == System.Net.HttpStatusCode.Forbidden) { /* not allowed to list: folders are asked as before */ }
    }

    /// <summary>Known: whether the folder's listing could be held; Object: the listed object at the key, or null when
    /// the folder holds none there.</summary>
    public async Task<(bool Known, ListedObject? Object)> FindAsync(string key, CancellationToken cancellationToken)
    {
        if (_emptyPrefix is { } empty && key.StartsWith(empty, StringComparison.Ordinal)) return (true, null);
        var folder = key[..(key.LastIndexOf('/') + 1)];
        Task<Dictionary<string, ListedObject>?> listing;
        lock (_gate)
        {
            if (_folders.TryGetValue(folder, out var held))
            {
                _recent.Remove(held.Node);
                _recent.AddFirst(held.Node);
                listing = held.Listing;
            }
            else
            {
                listing = ListAsync(folder, cancellationToken);
                _folders[folder] = (_recent.AddFirst(folder), listing);
                while (_folders.Count > MaxFolders)
                {
                    _folders.Remove(_recent.Last!.Value);
                    _recent.RemoveLast();
                }
            }
        }
        var objects = await listing.ConfigureAwait(false);
        return objects is null ? (false, null) : (true, objects.TryGetValue(key, out var found) ? found : null);
    }

    async Task<Dictionary<string, ListedObject>?> ListAsync(string folder, CancellationToken cancellationToken)
    {
        await Task.Yield(); // list outside the lock
        var objects = new Dictionary<string, ListedObject>(StringComparer.Ordinal);
        try
        {
            await foreach (var listed in ObjectLister.ListAsync(_budget, _bucket, folder, 1000, cancellationToken: cancellationToken, delimiter: "/").ConfigureAwait(false))
            {
                objects[listed.Key] = listed;
                if (objects.Count > MaxKeysPerFolder) return null;
            }
        }
        catch (S3TurboException denied) when (denied.ErrorId == ErrorIds.AccessDenied)
        {
            return null; // allowed to write but not to list: each object is asked on its own
        }
        return objects;
    }
}
