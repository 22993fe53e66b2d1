using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace S3Turbo.Engine.Remove;

/// <summary>Where a mirrored run (-Delete) wrote, and how far its deletions may go.</summary>
/// <param name="BucketName">The destination bucket.</param>
/// <param name="Prefix">The destination prefix; only objects under it are ever considered.</param>
/// <param name="Filter">-Include/-Exclude, matched against keys relative to the prefix: an object the filter
/// rejects is outside the mirror and is kept (as aws s3 sync and rclone do).</param>
/// <param name="MaxDelete">When set, more extra objects than this deletes none of them.</param>
public sealed record MirrorTarget(string BucketName, string Prefix, WildcardFilter Filter, long? MaxDelete);

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

    /// <summary>A destination key that has a source.</summary>
    public void AddKey(string key) { CheckOpen(); _keys.Add(Hash(key)); }

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

/// <summary>Mirroring (-Delete): after a run without failures, the destination objects that no source stands for are
/// removed. The destination is listed (one request per 1,000 objects) and compared with the recorded sources.</summary>
public static class Mirror
{
    /// <summary>The destination objects under the target's prefix that have no source, as they are listed. With
    /// MaxDelete, they are held (at most MaxDelete + 1) until the listing ends, so that a mirror that would delete
    /// too many deletes nothing. A run that found no source at all deletes nothing either: an empty or mistyped
    /// source would otherwise empty the destination.</summary>
    public static async IAsyncEnumerable<RemovalKey> ExtrasAsync(RequestBudget budget, MirrorTarget target, MirrorSources sources,
        int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = KeyMapper.NormalizePrefix(target.Prefix);
        string where = $"s3://{target.BucketName}/{prefix}";
        if (sources.Count == 0)
            throw new S3TurboException(ErrorIds.MirrorSourceEmpty, FailureKind.InvalidArgument,
                $"-Delete removed nothing from {where}: the run found no source items, and a mirror of nothing would empty the destination. Use Remove-S3Prefix to empty it.", where);
        var held = target.MaxDelete is null ? null : new List<RemovalKey>();
        await foreach (var listed in ObjectLister.ListAsync(budget, target.BucketName, prefix, pageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var relative = listed.Key[prefix.Length..];
            if (!target.Filter.IsEmpty && !target.Filter.AcceptsKey(relative)) continue;
            if (sources.Covers(listed.Key)) continue;
            var extra = new RemovalKey(listed.Key, null, listed.Size, false);
            if (held is null) { yield return extra; continue; }
            held.Add(extra);
            if (held.Count > target.MaxDelete)
                throw new S3TurboException(ErrorIds.MaxDeleteExceeded, FailureKind.LimitExceeded,
                    $"-Delete removed nothing from {where}: more than {target.MaxDelete:N0} objects there have no source, and -MaxDelete {target.MaxDelete} allows {target.MaxDelete:N0}. " +
                    "Check the source (run with -WhatIf to list them), or raise -MaxDelete.", where);
        }
        if (held is not null) foreach (var extra in held) yield return extra;
    }
}
