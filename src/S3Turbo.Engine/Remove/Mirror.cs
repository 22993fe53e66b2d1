using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace S3Turbo.Engine.Remove;

/// <summary>Where a mirrored run (-Delete) wrote, and how far its deletions may go.</summary>
/// <param name="Filter">-Include/-Exclude, matched against keys (or paths) relative to the destination: what the
/// filter rejects is outside the mirror and is kept (as aws s3 sync and rclone do).</param>
/// <param name="MaxDelete">When set, more extras than this deletes none of them.</param>
public abstract record MirrorTarget(WildcardFilter Filter, long? MaxDelete)
{
    /// <summary>The destination as users name it: s3://bucket/prefix/ or a local directory.</summary>
    public abstract string Where { get; }
}

/// <summary>An S3 destination: only objects under <paramref name="Prefix"/> are ever considered.</summary>
public sealed record S3MirrorTarget(string BucketName, string Prefix, WildcardFilter Filter, long? MaxDelete) : MirrorTarget(Filter, MaxDelete)
{
    public override string Where => $"s3://{BucketName}/{KeyMapper.NormalizePrefix(Prefix)}";
}

/// <summary>A local destination directory (Receive-S3Prefix): only regular files under it are ever considered.</summary>
public sealed record LocalMirrorTarget(string Root, WildcardFilter Filter, long? MaxDelete) : MirrorTarget(Filter, MaxDelete)
{
    public override string Where => Root;
}

/// <summary>A local file that no object stands for.</summary>
public readonly record struct LocalExtra(string Path, long Size);

/// <summary>The destination keys a run wrote or found up to date, kept as 64-bit hashes of the keys (8 bytes each:
/// 10 million source items take 80 MB, never the keys themselves), so that a mirror can tell which destination
/// objects have no source. A hash collision can only keep an extra object, never delete one that has a source.
/// Filled by one thread (the result reader), then sealed and read.</summary>
public sealed class MirrorSources
{
    readonly List<ulong> _keys = new();
    readonly List<ulong> _subtrees = new();
    bool _sealed;

    /// <summary>Keys and subtrees recorded.</summary>
    public long Count => _keys.Count + _subtrees.Count;

    /// <summary>Source items the run read and could store (sent, copied, downloaded, or found up to date). Entries
    /// that were only kept from deletion (a FIFO, a socket, a link not followed) do not count: a run that found
    /// nothing else must not mirror, whatever it skipped.</summary>
    public long SourcesRead { get; private set; }

    /// <summary>A destination key that has a source. <paramref name="readable"/>: the source was read (or found up
    /// to date); false for an entry skipped unread, whose key is kept but which proves nothing about the source.</summary>
    public void AddKey(string key, bool readable = true)
    {
        CheckOpen();
        _keys.Add(Hash(key));
        if (readable) SourcesRead++;
    }

    /// <summary>A destination "folder" (ending in '/') whose contents are all kept: a source that was not read, such
    /// as a symbolic link to a directory that was not followed.</summary>
    public void AddSubtree(string keyPrefix)
    {
        CheckOpen();
        if (!keyPrefix.EndsWith('/')) throw new ArgumentException("A subtree's prefix ends in '/'.", nameof(keyPrefix));
        _subtrees.Add(Hash(keyPrefix));
    }

    /// <summary>Whether the destination key has a source (itself, or a subtree that holds it).</summary>
    public bool Covers(string key)
    {
        Seal();
        if (_keys.BinarySearch(Hash(key)) >= 0) return true;
        if (_subtrees.Count == 0) return false;
        for (int slash = key.IndexOf('/'); slash >= 0; slash = key.IndexOf('/', slash + 1))
            if (_subtrees.BinarySearch(Hash(key[..(slash + 1)])) >= 0) return true;
        return false;
    }

    void Seal()
    {
        if (_sealed) return;
        _sealed = true;
        _keys.Sort();
        _subtrees.Sort();
    }

    void CheckOpen()
    {
        if (_sealed) throw new InvalidOperationException("The sources are read: no more can be added.");
    }

    // The key's UTF-16 code units: no encoding step, and equal keys are equal strings.
    static ulong Hash(string key) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key.AsSpan()));
}

/// <summary>Mirroring (-Delete): after a run without failures, what is at the destination that no source stands for
/// is removed: objects under an S3 prefix (listed, one request per 1,000) or files under a local directory (walked).</summary>
public static class Mirror
{
    /// <summary>The objects under the target's prefix that have no source, as they are listed.</summary>
    public static IAsyncEnumerable<RemovalKey> ExtrasAsync(RequestBudget budget, S3MirrorTarget target, MirrorSources sources,
        int pageSize, CancellationToken cancellationToken)
    {
        CheckSources(target, sources);
        var prefix = KeyMapper.NormalizePrefix(target.Prefix);
        return WithinLimit(target, Listed(), cancellationToken);

        async IAsyncEnumerable<RemovalKey> Listed()
        {
            await foreach (var listed in ObjectLister.ListAsync(budget, target.BucketName, prefix, pageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var relative = listed.Key[prefix.Length..];
                if (!target.Filter.IsEmpty && !target.Filter.AcceptsKey(relative)) continue;
                if (!sources.Covers(listed.Key)) yield return new RemovalKey(listed.Key, null, listed.Size, false);
            }
        }
    }

    /// <summary>The regular files under the target directory that no object stands for (sources recorded with
    /// <see cref="LocalKey(string, string)"/>). Entries that cannot be read, links to directories and special files are never
    /// candidates: what cannot be seen is not deleted.</summary>
    public static IAsyncEnumerable<LocalExtra> LocalExtrasAsync(LocalMirrorTarget target, MirrorSources sources, CancellationToken cancellationToken)
    {
        CheckSources(target, sources);
        return WithinLimit(target, Walked(), cancellationToken);

        async IAsyncEnumerable<LocalExtra> Walked()
        {
            await Task.CompletedTask.ConfigureAwait(false);
            if (!Directory.Exists(target.Root)) yield break;
            var keys = new KeyMapper(target.Root, null);
            foreach (var item in Upload.LocalFileEnumerator.Enumerate(target.Root, recurse: true, followSymlinks: false, target.Filter, keys, cancellationToken))
            {
                if (item.Failure is not null || item.SkipReason is not null || item.Key.Length == 0) continue;
                if (!sources.Covers(LocalKey(item.Key))) yield return new LocalExtra(item.Path, item.Length);
            }
        }
    }

    /// <summary>A path under a local destination, as a mirror compares it: with '/' separators, and in upper
    /// case where file names are compared without case (Windows, macOS), so that a.txt from S3 covers A.txt on disk.</summary>
    public static string LocalKey(string root, string path) => LocalKey(Path.GetRelativePath(root, path));

    /// <summary>As above, for a path already relative to the destination.</summary>
    public static string LocalKey(string relativePath)
    {
        var key = relativePath.Replace(Path.DirectorySeparatorChar, '/');
        return OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? key.ToUpperInvariant() : key;
    }

    /// <summary>A run that found no source at all deletes nothing: an empty or mistyped source would otherwise empty
    /// the destination.</summary>
    static void CheckSources(MirrorTarget target, MirrorSources sources)
    {
        if (sources.SourcesRead > 0) return;
        long unread = sources.Count;
        throw new S3TurboException(ErrorIds.MirrorSourceEmpty, FailureKind.InvalidArgument,
            $"-Delete removed nothing from {target.Where}: the run read no source item it could store" +
            (unread > 0 ? $" ({unread:N0} skipped: special files or links not followed, which are not sources)" : "") +
            ", and a mirror of nothing would empty the destination. " +
            (target is S3MirrorTarget ? "Use Remove-S3Prefix to empty it." : "Remove the files yourself if that is what you want."), target.Where);
    }

    /// <summary>The extras as they come; with MaxDelete, held (at most MaxDelete + 1) until the end, so that a
    /// mirror that would delete too many deletes nothing.</summary>
    static async IAsyncEnumerable<T> WithinLimit<T>(MirrorTarget target, IAsyncEnumerable<T> extras, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var held = target.MaxDelete is null ? null : new List<T>();
        await foreach (var extra in extras.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (held is null) { yield return extra; continue; }
            held.Add(extra);
            if (held.Count > target.MaxDelete)
                throw new S3TurboException(ErrorIds.MaxDeleteExceeded, FailureKind.LimitExceeded,
                    $"-Delete removed nothing from {target.Where}: more than {target.MaxDelete:N0} items there have no source, and -MaxDelete {target.MaxDelete} allows {target.MaxDelete:N0}. " +
                    "Check the source (run with -WhatIf to list them), or raise -MaxDelete.", target.Where);
        }
        if (held is not null) foreach (var extra in held) yield return extra;
    }
}
