using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Storage;

/// <summary>What a request's body was sent with: the CRC32C computed here (null when checksums are off) and
/// whether the SDK signed the body's SHA-256 into the request (SigV4 payload signing).</summary>
public readonly record struct SentChecksum(uint? Crc32C, bool PayloadSigned);

/// <summary>How upload requests prove that the store holds exactly the bytes sent, at little CPU cost. Each body
/// goes with a CRC32C computed here (x-amz-checksum-crc32c; the SDK then computes none and sends the body as it
/// is, without aws-chunked framing, whose per-chunk signing and copying cost more than the checksum). The store's
/// answer is then judged, per request, strongest proof first:
/// <list type="number">
/// <item>The store reports the CRC32C (AWS S3 and stores with checksum support verify it and refuse a mismatch
/// with BadDigest): it must equal the one sent.</item>
/// <item>Over plain http the SDK signs the body's SHA-256 into the request (SigV4 requires it there), and the
/// store must check that hash before it accepts the body (Ceph RGW, MinIO and S3 refuse a mismatch).</item>
/// <item>Otherwise (https, where the body is sent unsigned because TLS protects it, to a store that ignores
/// checksums) the ETag is compared with an MD5 of the bytes computed here: about 2 CPU s/GiB, paid only there.
/// Once a store has answered without a checksum, later https requests sign their payload instead, which the store
/// checks and which costs half an MD5.</item>
/// </list>
/// AlwaysCompareMd5 adds the MD5 comparison everywhere. ETags of SSE-KMS objects are not MD5s: there only the
/// first two proofs apply.</summary>
public sealed class UploadIntegrity
{
    readonly bool _sendChecksum;
    readonly bool _https;
    readonly bool _alwaysCompareMd5;
    volatile int _storeReportsChecksum; // 0 unknown, 1 yes, -1 no

    public UploadIntegrity(IAmazonS3 s3, bool alwaysCompareMd5)
    {
        var config = s3.Config;
        // Checksums off (-RequestChecksumCalculation WhenRequired) is for stores that refuse checksum headers.
        _sendChecksum = config.RequestChecksumCalculation != RequestChecksumCalculation.WHEN_REQUIRED;
        _https = string.IsNullOrEmpty(config.ServiceURL) ? !config.UseHttp : config.ServiceURL.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        _alwaysCompareMd5 = alwaysCompareMd5;
    }

    /// <summary>The algorithm to declare when a multipart upload is created (parts then carry it), or null.</summary>
    public ChecksumAlgorithm? MultipartAlgorithm => _sendChecksum ? ChecksumAlgorithm.CRC32C : null;

    /// <summary>The CRC32C to send with these bytes, or null when checksums are off (then it is not computed).</summary>
    public uint? ChecksumOf(ReadOnlySpan<byte> body) => _sendChecksum ? Crc32C.Compute(body) : null;

    public bool SendsChecksum => _sendChecksum;

    public SentChecksum Prepare(UploadPartRequest request, uint? crc32C)
    {
        var sent = Choose(crc32C);
        if (crc32C is uint crc) request.ChecksumCRC32C = Crc32C.ToBase64(crc);
        request.UseChunkEncoding = false;
        request.DisablePayloadSigning = !sent.PayloadSigned;
        return sent;
    }

    public SentChecksum Prepare(PutObjectRequest request, uint? crc32C)
    {
        var sent = Choose(crc32C);
        if (crc32C is uint crc) request.ChecksumCRC32C = Crc32C.ToBase64(crc);
        request.UseChunkEncoding = false;
        request.DisablePayloadSigning = !sent.PayloadSigned;
        return sent;
    }

    // The SDK refuses an unsigned payload over http; over https one is signed only without a checksum to prove it.
    SentChecksum Choose(uint? crc32C) =>
        new(crc32C, PayloadSigned: !_https || crc32C is null || _storeReportsChecksum < 0);

    /// <summary>Judges the store's answer to one request (see the class summary). Throws an IOException naming
    /// <paramref name="what"/> when the store holds other bytes than were sent. Returns the MD5 of the body when
    /// it was computed (<paramref name="md5OfBody"/> is called only when nothing else proves the bytes).</summary>
    public byte[]? Check(string what, SentChecksum sent, string? etag, string? reportedCrc32C, ServerSideEncryptionMethod? sse, Func<byte[]> md5OfBody)
    {
        bool proven = sent.PayloadSigned;
        if (!string.IsNullOrEmpty(reportedCrc32C))
        {
            _storeReportsChecksum = 1;
            if (sent.Crc32C is uint crc)
            {
                var expected = Crc32C.ToBase64(crc);
                if (!string.Equals(reportedCrc32C, expected, StringComparison.Ordinal))
                    throw new IOException($"{what}: the store reports CRC32C {reportedCrc32C} but the bytes written give {expected}; it does not hold what was written.");
                proven = true;
            }
        }
        else if (sent.Crc32C is not null && _storeReportsChecksum == 0) _storeReportsChecksum = -1;
        if ((proven && !_alwaysCompareMd5) || !EtagIsMd5(etag, sse)) return null;
        var md5 = md5OfBody();
        var hex = Convert.ToHexString(md5).ToLowerInvariant();
        if (!string.Equals(ETagCalculator.Normalize(etag), hex, StringComparison.Ordinal))
            throw new IOException($"{what}: the store reports ETag {etag} but the bytes written give MD5 {hex}; it does not hold what was written.");
        return md5;
    }

    /// <summary>The whole-object check after CompleteMultipartUpload, from what the parts' checks gathered: the
    /// composite CRC32C when the store reports one, and the MD5 of the part MD5s when every part's MD5 is known.</summary>
    public void CheckCompleted(string what, IReadOnlyList<uint?> partCrc32Cs, IReadOnlyList<byte[]?> partMd5s, string? etag, string? reportedCrc32C, ServerSideEncryptionMethod? sse)
    {
        if (reportedCrc32C is { } reported && reported.Contains('-') && partCrc32Cs.All(c => c is not null))
        {
            var expected = Crc32C.Composite(partCrc32Cs.Select(c => c!.Value).ToList());
            if (!string.Equals(reported, expected, StringComparison.Ordinal))
                throw new IOException($"{what}: the store reports checksum CRC32C {reported} for the object but its parts give {expected}; it does not hold what was written.");
        }
        if (partMd5s.Count > 0 && partMd5s.All(m => m is not null) && EtagIsMd5(etag, sse))
        {
            var expected = Convert.ToHexString(MD5.HashData(partMd5s.SelectMany(m => m!).ToArray())).ToLowerInvariant() + "-" + partMd5s.Count;
            if (!string.Equals(ETagCalculator.Normalize(etag), expected, StringComparison.Ordinal))
                throw new IOException($"{what}: the store reports ETag {etag} but the parts written give {expected}; it does not hold what was written.");
        }
    }

    static bool EtagIsMd5(string? etag, ServerSideEncryptionMethod? sse) =>
        !string.IsNullOrEmpty(etag) && (sse is null || sse == ServerSideEncryptionMethod.None || sse == ServerSideEncryptionMethod.AES256);
}
