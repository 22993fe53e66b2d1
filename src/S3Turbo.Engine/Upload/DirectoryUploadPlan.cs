namespace S3Turbo.Engine.Upload;

/// <summary>Turns what a user gives (paths, or files and directories piped one by one) into upload items with
/// their keys, lazily: directories are walked as items are consumed, never listed whole. Piped items without a
/// base path wait (at most <see cref="BasePathLookahead"/>) until the common root that keys are relative to is known.</summary>
public sealed class DirectoryUploadPlan
{
    /// <summary>Piped files held back, at most, while the common root is not yet known.</summary>
    public const int BasePathLookahead = 10_000;
    readonly string? _keyPrefix;
    readonly bool _recurse;
    readonly bool _followSymlinks;
    readonly WildcardFilter _filter;
    readonly Action<string>? _notice;
    readonly Shard? _shard;
    readonly List<FileSystemInfo> _lookahead = new();
    KeyMapper? _pipedKeys;

    /// <param name="keyPrefix">Prepended to every key.</param>
    /// <param name="basePath">Keys of piped items are relative to it; null: their common root.</param>
    /// <param name="recurse">Walk directories below the ones given.</param>
    /// <param name="followSymlinks">Follow links to directories (loops are reported).</param>
    /// <param name="filter">-Include/-Exclude.</param>
    /// <param name="notice">Told where keys of piped items are relative to, once known.</param>
    /// <param name="shard">-ShardIndex/-ShardCount: only the files whose key falls in it (an entry without a key, a
    /// path that failed, is reported by the worker whose shard the empty key falls in, so by exactly one).</param>
    public DirectoryUploadPlan(string? keyPrefix, string? basePath, bool recurse, bool followSymlinks, WildcardFilter filter, Action<string>? notice = null, Shard? shard = null)
    {
        _keyPrefix = keyPrefix; _recurse = recurse; _followSymlinks = followSymlinks; _filter = filter; _notice = notice; _shard = shard;
        if (basePath is not null) _pipedKeys = new KeyMapper(basePath, keyPrefix);
    }

    /// <summary>A resolved -Path/-LiteralPath: a directory (keys relative to it), a file (relative to its folder),
    /// or a path that does not exist (a PathNotFound item).</summary>
    public IEnumerable<UploadItem> FromPath(string path, CancellationToken cancellationToken) => InShard(Resolve(path, cancellationToken));

    IEnumerable<UploadItem> Resolve(string path, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path)) return Walk(new DirectoryInfo(path), _pipedKeys ?? new KeyMapper(path, _keyPrefix), cancellationToken);
        if (File.Exists(path)) return FromInfo(new FileInfo(path), _pipedKeys ?? new KeyMapper(Path.GetDirectoryName(path)!, _keyPrefix), cancellationToken);
        return new[] { UploadItem.ForFailure(path, new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound, $"Cannot find path '{path}' because it does not exist.", path)) };
    }

    /// <summary>A piped file or directory (Get-ChildItem output).</summary>
    public IEnumerable<UploadItem> FromPiped(FileSystemInfo info, CancellationToken cancellationToken)
    {
        if (_pipedKeys is not null) return InShard(FromInfo(info, _pipedKeys, cancellationToken));
        _lookahead.Add(info);
        return _lookahead.Count >= BasePathLookahead ? Flush(cancellationToken) : Array.Empty<UploadItem>();
    }

    /// <summary>The piped items still held back (call at the end of the input).</summary>
    public IEnumerable<UploadItem> Flush(CancellationToken cancellationToken)
    {
        if (_lookahead.Count == 0) return Array.Empty<UploadItem>();
        var root = KeyMapper.CommonRoot(_lookahead.Select(i => i is DirectoryInfo d ? Path.Combine(d.FullName, "x") : i.FullName));
        _pipedKeys = new KeyMapper(root, _keyPrefix);
        _notice?.Invoke($"Keys are relative to '{root}' (the common root of the piped items; use -BasePath to choose).");
        var held = _lookahead.ToArray();
        _lookahead.Clear();
        return InShard(held.SelectMany(info => FromInfo(info, _pipedKeys, cancellationToken)));
    }

    IEnumerable<UploadItem> InShard(IEnumerable<UploadItem> items) => _shard is null ? items : items.Where(item => _shard.Accepts(item.Key));

    IEnumerable<UploadItem> FromInfo(FileSystemInfo info, KeyMapper keys, CancellationToken cancellationToken)
    {
        // Get-ChildItem -Recurse pipes the files as well: expanding directories too would send them twice.
        if (info is DirectoryInfo dir) return _recurse ? Walk(dir, keys, cancellationToken) : Array.Empty<UploadItem>();
        info.Refresh();
        return LocalFileEnumerator.ForFile((FileInfo)info, _filter, keys) is { } item ? new[] { item } : Array.Empty<UploadItem>();
    }

    IEnumerable<UploadItem> Walk(DirectoryInfo dir, KeyMapper keys, CancellationToken cancellationToken) =>
        LocalFileEnumerator.Enumerate(dir.FullName, _recurse, _followSymlinks, _filter, keys, cancellationToken);
}
