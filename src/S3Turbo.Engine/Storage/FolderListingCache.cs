namespace S3Turbo.Engine.Storage;

/// <summary>Answers "what does the bucket hold at this key?" from one delimiter listing of the key's folder (one
/// request per 1,000 keys) instead of one HEAD per key. A directory walk asks for the files of one folder together,
/// so only the folders being worked on are held: at most <see cref="MaxFolders"/> listings of at most
/// <see cref="MaxKeysPerFolder"/> keys each (about 30 MB at most). A larger folder, or one the credentials may not
/// list, is not held: its keys are answered as unknown and the caller asks the object itself. Folders are listed
/// ahead as their first file is planned (<see cref="Prefetch"/>, at most <see cref="MaxAhead"/> not yet asked for),
/// so a walk does not wait one listing's round trip per folder. Thread-safe: workers asking for the same folder
/// share one listing.</summary>
public sealed class FolderListingCache
{
    public const int MaxFolders = 16;
    public const int MaxKeysPerFolder = 10_000;
    /// <summary>Listings started ahead of their folder's first question, at most (well below MaxFolders, so a
    /// listing made ahead is not dropped before it is used).</summary>
    public const int MaxAhead = 4;
    readonly RequestBudget _budget;
    readonly string _bucket;
    readonly object _gate = new();
    readonly LinkedList<string> _recent = new();
    readonly Dictionary<string, Folder> _folders = new(StringComparer.Ordinal);
    int _ahead;

    sealed class Folder
    {
        public required LinkedListNode<string> Node { get; init; }
        public required Task<Dictionary<string, ListedObject>?> Listing { get; init; }
        /// <summary>Listed ahead and not yet asked for.</summary>
        public bool Ahead { get; set; }
    }

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

    /// <summary>Starts listing the folder of <paramref name="key"/> if it is not held and fewer than MaxAhead
    /// listings wait for their first question; returns at once.</summary>
    public void Prefetch(string key, CancellationToken cancellationToken)
    {
        if (IsKnownEmpty(key)) return;
        var folder = FolderOf(key);
        lock (_gate)
        {
            if (_ahead >= MaxAhead || _folders.ContainsKey(folder)) return;
            var listing = Hold(folder, cancellationToken);
            listing.Ahead = true;
            _ahead++;
            // Observed here, so a listing dropped unused never surfaces as an unobserved fault.
            _ = listing.Listing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Known: whether the folder's listing could be held; Object: the listed object at the key, or null when
    /// the folder holds none there.</summary>
    public async Task<(bool Known, ListedObject? Object)> FindAsync(string key, CancellationToken cancellationToken)
    {
        if (IsKnownEmpty(key)) return (true, null);
        var folder = FolderOf(key);
        Task<Dictionary<string, ListedObject>?> listing;
        lock (_gate)
        {
            if (_folders.TryGetValue(folder, out var held))
            {
                _recent.Remove(held.Node);
                _recent.AddFirst(held.Node);
                if (held.Ahead) { held.Ahead = false; _ahead--; }
                listing = held.Listing;
            }
            else listing = Hold(folder, cancellationToken).Listing;
        }
        var objects = await listing.ConfigureAwait(false);
        return objects is null ? (false, null) : (true, objects.TryGetValue(key, out var found) ? found : null);
    }

    /// <summary>Listings made ahead and not yet asked for (tests).</summary>
    internal int ListingsAhead { get { lock (_gate) return _ahead; } }

    bool IsKnownEmpty(string key) => _emptyPrefix is { } empty && key.StartsWith(empty, StringComparison.Ordinal);

    static string FolderOf(string key) => key[..(key.LastIndexOf('/') + 1)];

    /// <summary>Starts the folder's listing and holds it as the most recent, dropping the least recent beyond
    /// MaxFolders (called under the lock).</summary>
    Folder Hold(string folder, CancellationToken cancellationToken)
    {
        var held = new Folder { Node = _recent.AddFirst(folder), Listing = ListAsync(folder, cancellationToken) };
        _folders[folder] = held;
        while (_folders.Count > MaxFolders)
        {
            if (_folders[_recent.Last!.Value].Ahead) _ahead--;
            _folders.Remove(_recent.Last.Value);
            _recent.RemoveLast();
        }
        return held;
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
