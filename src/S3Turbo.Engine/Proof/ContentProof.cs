using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Proof;

/// <summary>One part of a multipart object as its store lists it: where it lies, its size, and its checksum when
/// the store keeps one.</summary>
public sealed record StoredPart(int Number, long Offset, long Size, string? Checksum);

/// <summary>What a store can tell about an object's content: its checksum (HEAD with checksum mode) and its parts'
/// sizes and checksums (GetObjectAttributes, or HEAD partNumber=1 for uniform parts). Ceph 18 and moto tell less:
/// every query here answers null rather than fail when a store cannot tell.</summary>
public static class StoredContent
{
    /// <summary>A HEAD with checksum mode: the checksum the store keeps (null when it keeps none), with the response.</summary>
    public static async Task<(StoredChecksum? Checksum, GetObjectMetadataResponse Head)> HeadAsync(RequestBudget budget, string bucket, string key, string? etag,
        CancellationToken cancellationToken)
    {
        var head = await budget.RunAsync(ct => budget.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest
            { BucketName = bucket, Key = key, EtagToMatch = etag, ChecksumMode = ChecksumMode.ENABLED }, ct), 0, cancellationToken).ConfigureAwait(false);
        return (From(head), head);
    }

    public static StoredChecksum? From(GetObjectMetadataResponse head) =>
        StoredChecksum.From(head.ChecksumCRC64NVME, head.ChecksumCRC32C, head.ChecksumCRC32, head.ChecksumSHA256, head.ChecksumType?.Value);

    public static StoredChecksum? From(GetObjectResponse get) =>
        StoredChecksum.From(get.ChecksumCRC64NVME, get.ChecksumCRC32C, get.ChecksumCRC32, get.ChecksumSHA256, get.ChecksumType?.Value);

    /// <summary>The parts of a multipart object with their sizes and checksums (GetObjectAttributes, a page per 1,000
    /// parts), or null when the store cannot tell (Ceph 18 answers in a form the SDK cannot read, moto lists none).</summary>
    public static async Task<IReadOnlyList<StoredPart>?> PartsAsync(RequestBudget budget, string bucket, string key, long size, int expectedParts, CancellationToken cancellationToken)
    {
        if (expectedParts < 2) return null;
        var parts = new List<StoredPart>(expectedParts);
        int? marker = null;
        long offset = 0;
        try
        {
            while (true)
            {
                var request = new GetObjectAttributesRequest
                {
                    BucketName = bucket, Key = key, MaxParts = 1000,
                    ObjectAttributes = new List<ObjectAttributes> { ObjectAttributes.ObjectParts, ObjectAttributes.Checksum },
                };
                if (marker is int m) request.PartNumberMarker = m;
                var page = await budget.RunAsync(ct => budget.Client.GetObjectAttributesAsync(request, ct), 0, cancellationToken).ConfigureAwait(false);
                foreach (var part in page.ObjectParts?.Parts ?? new List<ObjectPart>())
                {
                    long partSize = part.Size ?? -1;
                    if (partSize <= 0) return null;
                    parts.Add(new StoredPart(part.PartNumber ?? parts.Count + 1, offset, partSize,
                        part.ChecksumCRC64NVME ?? part.ChecksumCRC32C ?? part.ChecksumCRC32 ?? part.ChecksumSHA256));
                    offset += partSize;
                }
                if (page.ObjectParts?.IsTruncated != true || page.ObjectParts.NextPartNumberMarker is not int next) break;
                marker = next;
            }
        }
        catch (AmazonS3Exception) { return null; }
        catch (Amazon.Runtime.AmazonClientException) { return null; } // an answer the SDK cannot read
        return parts.Count == expectedParts && offset == size ? parts : null;
    }

    /// <summary>Uniform parts of the size part 1 has (HEAD partNumber=1), when its ETag's part count agrees.</summary>
    public static IReadOnlyList<StoredPart> Uniform(long size, long partSize)
    {
        var parts = new List<StoredPart>();
        for (long offset = 0; offset < size || parts.Count == 0; offset += partSize)
            parts.Add(new StoredPart(parts.Count + 1, offset, Math.Min(partSize, size - offset), null));
        return parts;
    }
}

/// <summary>Whether bytes held locally (a file, or a member's range of one) are an object's content, by the
/// cheapest proof that decides it, strongest first; never by size or time alone. Update modes ask it:
/// <list type="number">
/// <item>The listing's ETag as the MD5 of the bytes (no request): equal is proof. Unequal proves nothing yet, since an
/// ETag may not be an MD5 (SSE-KMS, SSE-C, directory buckets' random ETags) or be one of unknown parts.</item>
/// <item>The store's checksum (one HEAD with checksum mode): a FULL_OBJECT checksum against the bytes' own
/// (13 GB/s a core for the CRCs); a composite one part by part, with the boundaries GetObjectAttributes gives.</item>
/// <item>A multipart ETag whose part sizes are known (recorded by S3Turbo, part 1's size, or GetObjectAttributes):
/// the MD5 of the parts' MD5s.</item>
/// </list>
/// An answer that proves nothing means "different": the bytes are sent (or fetched) again.</summary>
public static class ContentProof
{
    /// <summary>The proof that the local bytes are the object's content ("MD5", "CRC64NVME", "MD5 of parts", …), or
    /// null when none proves it.</summary>
    public static async Task<string?> SameAsync(RequestBudget budget, string bucket, string key, long size, string? etag,
        string path, long offset, CancellationToken cancellationToken)
    {
        int etagParts = ETagCalculator.PartCountOf(etag);
        if (etagParts == 1 && ETagCalculator.Normalize(etag).Length == 32
            && await ETagCalculator.MatchesAsync(path, offset, size, etag!, null, cancellationToken).ConfigureAwait(false))
            return "MD5";
        StoredChecksum? checksum;
        GetObjectMetadataResponse head;
        try { (checksum, head) = await StoredContent.HeadAsync(budget, bucket, key, null, cancellationToken).ConfigureAwait(false); }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return null; }
        if (head.ContentLength != size) return null;
        if (checksum is { IsComposite: false })
            return await FileChecksumAsync(checksum.Algorithm, path, offset, size, cancellationToken).ConfigureAwait(false) == checksum.Value ? checksum.Algorithm.ToString() : null;
        if (etagParts < 2) return null;
        var parts = await StoredContent.PartsAsync(budget, bucket, key, size, etagParts, cancellationToken).ConfigureAwait(false);
        if (checksum is { IsComposite: true } composite && parts is not null && parts.All(p => p.Checksum is not null))
        {
            var partChecksums = new List<byte[]>(parts.Count);
            foreach (var part in parts)
            {
                var local = await FileChecksumAsync(composite.Algorithm, path, offset + part.Offset, part.Size, cancellationToken).ConfigureAwait(false);
                if (local != part.Checksum) return null;
                partChecksums.Add(Convert.FromBase64String(local));
            }
            return Checksums.Composite(composite.Algorithm, partChecksums) == composite.Value ? $"{composite.Algorithm} of parts" : null;
        }
        long? partSize = long.TryParse(head.Metadata[Upload.DirectoryUpload.PartSizeMetadataKey], NumberStyles.None, CultureInfo.InvariantCulture, out var recorded) && recorded > 0 ? recorded : null;
        if (partSize is null && parts is null) partSize = await ObjectHeads.PartSizeAsync(budget, new ListedObject(bucket, key, size, etag, null, null), cancellationToken).ConfigureAwait(false);
        if (partSize is not null)
            return await ETagCalculator.MatchesAsync(path, offset, size, etag!, partSize, cancellationToken).ConfigureAwait(false) ? "MD5 of parts" : null;
        if (parts is not null)
            return await ETagCalculator.ComputeAsync(path, offset, parts.Select(p => p.Size).ToList(), cancellationToken).ConfigureAwait(false) == ETagCalculator.Normalize(etag) ? "MD5 of parts" : null;
        return null;
    }

    /// <summary>The checksum of [offset, offset+length) of a file, as S3 writes it.</summary>
    public static async Task<string> FileChecksumAsync(ChecksumAlgorithm algorithm, string path, long offset, long length, CancellationToken cancellationToken)
    {
        var checksum = RunningChecksum.Create(algorithm);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        file.Position = offset;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long left = length; left > 0;)
            {
                int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new EndOfStreamException($"'{path}' is shorter than expected.");
                checksum.Append(buffer.AsSpan(0, read));
                left -= read;
            }
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
        return checksum.Base64();
    }
}
