using System.Globalization;
using System.Security.Cryptography;

namespace S3Turbo.Engine.Proof;

/// <summary>Reproduces S3 ETags locally, so Update mode can tell whether a file already matches its object:
/// a single-part ETag is the MD5 of the content; a multipart ETag is the MD5 of the concatenated binary part
/// MD5s followed by "-N". The part size is read from S3Turbo's own metadata when present, otherwise the
/// part sizes common tools use are tried. Encrypted objects (SSE-KMS/SSE-C) have ETags that are not MD5s: they
/// never match, so the file is sent again rather than skipped on a guess.</summary>
public static class ETagCalculator
{
    /// <summary>Part sizes tried when the object carries no s3turbo-part-size metadata (awscli/boto3 8 MiB,
    /// TransferUtility and rclone 5 MiB, 16 MiB, 64 MiB).</summary>
    public static readonly long[] CommonPartSizes = { 8L << 20, 5L << 20, 16L << 20, 64L << 20, 15L << 20, 100L << 20 };

    public static string Normalize(string? etag) => (etag ?? "").Trim('"').ToLowerInvariant();

    public static Task<bool> MatchesAsync(string path, long size, string remoteETag, long? recordedPartSize, CancellationToken cancellationToken) =>
        MatchesAsync(path, 0, size, remoteETag, recordedPartSize, cancellationToken);

    /// <summary>For the <paramref name="size"/> bytes at <paramref name="offset"/> of the file (a tar member).</summary>
    public static async Task<bool> MatchesAsync(string path, long offset, long size, string remoteETag, long? recordedPartSize, CancellationToken cancellationToken)
    {
        var etag = Normalize(remoteETag);
        int parts = PartCountOf(etag);
        if (parts < 1) return false;
        if (parts == 1)
            return etag.Length == 32 && await ComputeAsync(path, offset, size, partSize: null, cancellationToken).ConfigureAwait(false) == etag;
        var candidates = recordedPartSize is > 0 ? new[] { recordedPartSize.Value } : CommonPartSizes;
        foreach (var partSize in candidates)
        {
            if (PartSizing.PartCount(size, partSize) != parts) continue;
            if (await ComputeAsync(path, offset, size, partSize, cancellationToken).ConfigureAwait(false) == etag) return true;
        }
        return false;
    }

    /// <summary>1 for a single-part ETag, N for "…-N", 0 when it is neither.</summary>
    public static int PartCountOf(string? etag)
    {
        var normalized = Normalize(etag);
        int dash = normalized.IndexOf('-');
        if (dash < 0) return normalized.Length > 0 ? 1 : 0;
        return int.TryParse(normalized[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 0;
    }

    /// <summary>The ETag S3 would give this file uploaded whole (partSize null) or in parts of partSize.</summary>
    public static Task<string> ComputeAsync(string path, long size, long? partSize, CancellationToken cancellationToken) =>
        ComputeAsync(path, 0, size, partSize, cancellationToken);

    /// <summary>The multipart ETag of [offset, offset+sum) of a file cut into parts of the given sizes.</summary>
    public static Task<string> ComputeAsync(string path, long offset, IReadOnlyList<long> partSizes, CancellationToken cancellationToken) =>
        HashAsync(path, offset, partSizes.Sum(), new Md5Parts(partSizes), cancellationToken);

    /// <summary>At or below this size a file is hashed by one synchronous read into a pooled buffer: an
    /// asynchronous FileStream costs a thread-pool hop and a 64 KiB buffer per file, which dominated a re-run over
    /// 200,000 small files (33 s against 12 s, measured).</summary>
    const int SmallFileBytes = 256 * 1024;

    public static async Task<string> ComputeAsync(string path, long offset, long size, long? partSize, CancellationToken cancellationToken)
    {
        if (size <= SmallFileBytes) return ComputeSmall(path, offset, (int)size, partSize, cancellationToken);
        return await HashAsync(path, offset, size, new Md5Parts(partSize ?? long.MaxValue), cancellationToken).ConfigureAwait(false);
    }

    static async Task<string> HashAsync(string path, long offset, long size, Md5Parts hasher, CancellationToken cancellationToken)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        file.Position = offset;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long left = size; left > 0;)
            {
                int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new EndOfStreamException("The file is shorter than expected.");
                hasher.Append(buffer, 0, read);
                left -= read;
            }
            return hasher.ETag();
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    static string ComputeSmall(string path, long offset, int size, long? partSize, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        try
        {
            // bufferSize 1: no FileStream buffer of its own; the one read goes straight into the pooled array.
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None))
            {
                file.Position = offset;
                for (int done = 0; done < size;)
                {
                    int read = file.Read(buffer, done, size - done);
                    if (read == 0) throw new EndOfStreamException("The file is shorter than expected.");
                    done += read;
                }
            }
            var hasher = new Md5Parts(partSize ?? long.MaxValue);
            hasher.Append(buffer, 0, size);
            return hasher.ETag();
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }
}

/// <summary>MD5s of consecutive parts of a byte sequence (one part when partSize is long.MaxValue), and the ETag S3
/// derives from them.</summary>
public sealed class Md5Parts
{
    readonly long _partSize;
    readonly IReadOnlyList<long>? _partSizes; // parts of uneven sizes (GetObjectAttributes told them)
    readonly List<byte[]> _digests = new();
    IncrementalHash _current = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    long _inPart;

    public Md5Parts(long partSize) => _partSize = partSize;

    /// <summary>Parts of the given sizes, in order (their ETag has "-N" even for one part).</summary>
    public Md5Parts(IReadOnlyList<long> partSizes) { _partSizes = partSizes; _partSize = partSizes.Count > 0 ? partSizes[0] : long.MaxValue; }

    long CurrentPartSize => _partSizes is null ? _partSize : _digests.Count < _partSizes.Count ? _partSizes[_digests.Count] : long.MaxValue;

    /// <summary>The hasher that reproduces this ETag while reading sequentially, or null when that is not possible
    /// (an encrypted object, or a multipart ETag whose part size is unknown).</summary>
    public static Md5Parts? For(string? etag, long size, long? partSize, bool encrypted)
    {
        int parts = ETagCalculator.PartCountOf(etag);
        if (encrypted || parts < 1) return null;
        if (parts == 1) return new Md5Parts(long.MaxValue);
        return partSize is long p && PartSizing.PartCount(size, p) == parts ? new Md5Parts(p) : null;
    }

    public void Append(byte[] buffer, int offset, int count)
    {
        while (count > 0)
        {
            long partSize = CurrentPartSize;
            int take = (int)Math.Min(count, partSize - _inPart);
            _current.AppendData(buffer, offset, take);
            _inPart += take;
            offset += take;
            count -= take;
            if (_inPart == partSize) { _digests.Add(_current.GetHashAndReset()); _inPart = 0; }
        }
    }

    public IReadOnlyList<byte[]> Digests()
    {
        if (_inPart > 0 || _digests.Count == 0) { _digests.Add(_current.GetHashAndReset()); _inPart = 0; }
        return _digests;
    }

    /// <summary>A single part's MD5 in hex, or the MD5 of the part MD5s with "-N".</summary>
    public string ETag() => _partSize == long.MaxValue && _partSizes is null ? Convert.ToHexString(Digests()[0]).ToLowerInvariant() : Combine(Digests());

    public static string Combine(IReadOnlyList<byte[]> digests)
    {
        using var combined = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        foreach (var digest in digests) combined.AppendData(digest);
        return Convert.ToHexString(combined.GetHashAndReset()).ToLowerInvariant() + "-" + digests.Count;
    }
}
