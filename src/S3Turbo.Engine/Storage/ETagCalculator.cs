using System.Security.Cryptography;

namespace S3Turbo.Engine.Storage;

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

    public static async Task<bool> MatchesAsync(string path, long size, string remoteETag, long? recordedPartSize, CancellationToken cancellationToken)
    {
        var etag = Normalize(remoteETag);
        int dash = etag.IndexOf('-');
        if (dash < 0)
            return etag.Length == 32 && await ComputeAsync(path, size, partSize: null, cancellationToken).ConfigureAwait(false) == etag;
        if (!int.TryParse(etag[(dash + 1)..], out int parts) || parts < 1) return false;
        var candidates = recordedPartSize is > 0 ? new[] { recordedPartSize.Value } : CommonPartSizes;
        foreach (var partSize in candidates)
        {
            if (PartSizing.PartCount(size, partSize) != parts) continue;
            if (await ComputeAsync(path, size, partSize, cancellationToken).ConfigureAwait(false) == etag) return true;
        }
        return false;
    }

    /// <summary>The ETag S3 would give this file uploaded whole (partSize null) or in parts of partSize.</summary>
    public static async Task<string> ComputeAsync(string path, long size, long? partSize, CancellationToken cancellationToken)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            if (partSize is null)
                return Convert.ToHexString(await HashRangeAsync(file, size, buffer, cancellationToken).ConfigureAwait(false)).ToLowerInvariant();
            using var combined = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            int parts = 0;
            for (long done = 0; done < size || parts == 0; done += partSize.Value, parts++)
                combined.AppendData(await HashRangeAsync(file, Math.Min(partSize.Value, size - done), buffer, cancellationToken).ConfigureAwait(false));
            return Convert.ToHexString(combined.GetHashAndReset()).ToLowerInvariant() + "-" + parts;
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    static async Task<byte[]> HashRangeAsync(Stream file, long length, byte[] buffer, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        while (length > 0)
        {
            int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new EndOfStreamException("The file is shorter than expected.");
            md5.AppendData(buffer, 0, read);
            length -= read;
        }
        return md5.GetHashAndReset();
    }
}

/// <summary>The whole-object checksum a store reported, as "ALGORITHM:value" (the strongest one given).</summary>
public static class ReportedChecksum
{
    public static string? Text(string? crc32, string? crc32c, string? crc64, string? sha256) =>
        crc64 is { Length: > 0 } ? "CRC64NVME:" + crc64
        : crc32 is { Length: > 0 } ? "CRC32:" + crc32
        : crc32c is { Length: > 0 } ? "CRC32C:" + crc32c
        : sha256 is { Length: > 0 } ? "SHA256:" + sha256 : null;
}
