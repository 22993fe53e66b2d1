using System.Collections.Concurrent;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Proof;

/// <summary>What one request's body was sent with: its checksum (computed here, null when checksums are off), its
/// length, whether SigV4 signed its SHA-256 (over plain http the SDK always does), and its MD5 when one was needed.</summary>
public sealed class SentBody
{
    internal SentBody(RunningChecksum? checksum, long length, bool payloadSigned, byte[]? md5)
    { Checksum = checksum; Length = length; PayloadSigned = payloadSigned; Md5 = md5; }
    public RunningChecksum? Checksum { get; }
    public long Length { get; }
    public bool PayloadSigned { get; }
    public byte[]? Md5 { get; }
}

/// <summary>How upload requests prove that the store holds exactly the bytes sent, at the least CPU. Every body goes
/// with its checksum in a header (CRC64NVME unless -ChecksumAlgorithm says otherwise, computed here while the bytes are
/// read, never with the SDK's aws-chunked encoding), and multipart uploads are FULL_OBJECT: the parts' CRCs are
/// combined into the whole object's, which CompleteMultipartUpload carries, so the store refuses an object that is
/// not the bytes sent before it ever exists. The proof, strongest first:
/// <list type="number">
/// <item>A store that verifies checksums refuses a mismatch (BadDigest). Whether it does is asked once per store and
/// bucket, by a probe that must be refused: a part with a wrong checksum, sent to a multipart upload that is then
/// aborted (nothing is ever written). AWS S3 and Ceph 20 refuse it; moto and Ceph 18 accept it.</item>
/// <item>Where the store does not verify (or the probe could not run), each body's MD5 is computed here and compared
/// with the ETag the store answers (the MD5 of parts for a multipart upload); about 1.4 CPU s/GiB, paid only there.</item>
/// <item>An ETag that is no MD5 (SSE-KMS) on such a store: the SigV4 payload hash over http, which the store checks.</item>
/// </list>
/// Over https the body is sent unsigned (TLS protects it, and the checksum proves it); over http the SDK signs its
/// SHA-256 (it refuses an unsigned payload there).</summary>
public sealed class UploadProof
{
    static readonly ConcurrentDictionary<string, Task<bool>> StoreVerifies = new(StringComparer.Ordinal);
    readonly IAmazonS3 _s3;
    readonly bool _https;
    readonly bool _alwaysCompareMd5;
    volatile int _verifies; // 0 not yet known, 1 yes, -1 no

    public UploadProof(IAmazonS3 s3, ChecksumAlgorithm algorithm, bool alwaysCompareMd5 = false)
    {
        _s3 = s3;
        Algorithm = algorithm;
        var config = s3.Config;
        _https = string.IsNullOrEmpty(config.ServiceURL) ? !config.UseHttp : config.ServiceURL.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        _alwaysCompareMd5 = alwaysCompareMd5;
    }

    public ChecksumAlgorithm Algorithm { get; }
    public bool SendsChecksum => Algorithm != ChecksumAlgorithm.None;
    /// <summary>Whether the store is known to refuse a body whose checksum is wrong.</summary>
    public bool StoreVerifiesChecksums => _verifies > 0;
    /// <summary>Whether each body's MD5 must be computed (the store does not verify checksums, or the caller asks).</summary>
    public bool NeedsMd5 => _alwaysCompareMd5 || _verifies <= 0;

    /// <summary>Learns, once per store and bucket in this process, whether the store verifies checksums (see the
    /// class summary). <paramref name="probeKey"/> is where the probe's multipart upload is made and aborted: under the
    /// prefix the run writes, so it needs no permission beyond the run's. A store that refuses the checksum header
    /// itself stops the run, naming -ChecksumAlgorithm.</summary>
    public async Task ProbeAsync(RequestBudget budget, string bucket, string probeKey, CancellationToken cancellationToken)
    {
        if (!SendsChecksum || _verifies != 0) return;
        string store = (_s3.Config.ServiceURL ?? _s3.Config.RegionEndpoint?.SystemName ?? "") + "|" + bucket + "|" + Algorithm;
        var probe = StoreVerifies.GetOrAdd(store, _ => RunProbeAsync(budget, bucket, probeKey));
        bool verifies;
        try { verifies = await probe.WaitAsync(cancellationToken).ConfigureAwait(false); }
        catch (S3TurboException) { StoreVerifies.TryRemove(store, out _); throw; }
        _verifies = verifies ? 1 : -1;
    }

    async Task<bool> RunProbeAsync(RequestBudget budget, string bucket, string probeKey)
    {
        string? uploadId = null;
        try
        {
            var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = probeKey };
            Initiate(initiate);
            uploadId = (await budget.RunAsync(ct => _s3.InitiateMultipartUploadAsync(initiate, ct), 0, CancellationToken.None).ConfigureAwait(false)).UploadId;
            var body = new byte[] { 0x53, 0x33 };
            var wrong = RunningChecksum.Create(Algorithm);
            wrong.Append(new byte[] { 0x33, 0x53 }); // the checksum of other bytes
            var part = new UploadPartRequest { BucketName = bucket, Key = probeKey, UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(body) };
            Apply(part, new SentBody(wrong, body.Length, payloadSigned: !_https, md5: null));
            await budget.RunAsync(ct => _s3.UploadPartAsync(part, ct), body.Length, CancellationToken.None).ConfigureAwait(false);
            return false; // it kept a body whose checksum was wrong
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BadDigest" or "InvalidDigest" or "XAmzContentChecksumMismatch") { return true; }
        catch (AmazonS3Exception ex) when (ex.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.NotImplemented)
        {
            // The checksum's algorithm or type refused, on the upload's creation or on its part.
            throw new S3TurboException(ErrorIds.ChecksumNotSupportedByStore, FailureKind.NotSupported,
                $"The store refuses {Algorithm} checksums ({ex.ErrorCode}: {ex.Message}). Choose another with -ChecksumAlgorithm (CRC32C, CRC32, SHA256), or None (or -RequestChecksumCalculation WhenRequired) for a store that takes no checksum headers.",
                Algorithm) { IsFatalForRun = true };
        }
        catch (AmazonServiceException) { return false; } // no right to probe: prove every body by its MD5 instead
        finally
        {
            if (uploadId is not null)
                try { await budget.RunOutsideLimitAsync(ct => _s3.AbortMultipartUploadAsync(bucket, probeKey, uploadId, ct), CancellationToken.None).ConfigureAwait(false); }
                catch (Exception) { /* a probe upload left open holds two bytes; the bucket's lifecycle rule ends it */ }
        }
    }

    // ---- single requests ----

    /// <summary>Prepares a PutObject of <paramref name="body"/> (in memory): its checksum, no aws-chunked, unsigned over https.</summary>
    public SentBody Prepare(PutObjectRequest request, ReadOnlySpan<byte> body) => Apply(request, Measure(body));

    /// <summary>As above for a seekable stream (a file's range): read once here for its checksum, then rewound for
    /// the SDK. A file changed in between gives another checksum than the bytes sent, which the store refuses.</summary>
    public SentBody Prepare(PutObjectRequest request, Stream body) => Apply(request, Measure(body));

    public SentBody Prepare(UploadPartRequest request, ReadOnlySpan<byte> body) => Apply(request, Measure(body));

    public SentBody Prepare(UploadPartRequest request, Stream body) => Apply(request, Measure(body));

    SentBody Measure(ReadOnlySpan<byte> body)
    {
        RunningChecksum? checksum = SendsChecksum ? RunningChecksum.Create(Algorithm) : null;
        checksum?.Append(body);
        return new SentBody(checksum, body.Length, !_https || !SendsChecksum, NeedsMd5 ? MD5.HashData(body) : null);
    }

    /// <summary>Proves that a part an earlier run stored (a killed run's multipart upload, resumed) holds exactly
    /// <paramref name="body"/>, the bytes this run would send as that part: by the part's checksum when the store
    /// kept one of this run's algorithm, else by its ETag as the MD5. Returns what the body measures (for the whole
    /// object's checksum), or null when the stored part is not these bytes.</summary>
    public SentBody? ProveStored(Stream body, string? etag, string? storedChecksum)
    {
        bool byChecksum = SendsChecksum && !string.IsNullOrEmpty(storedChecksum);
        var measured = Measure(body, md5: NeedsMd5 || !byChecksum);
        if (byChecksum) return string.Equals(measured.Checksum!.Base64(), storedChecksum, StringComparison.Ordinal) ? measured : null;
        return measured.Md5 is { } md5 && string.Equals(ETagCalculator.Normalize(etag), Convert.ToHexString(md5).ToLowerInvariant(), StringComparison.Ordinal) ? measured : null;
    }

    SentBody Measure(Stream body) => Measure(body, NeedsMd5);

    SentBody Measure(Stream body, bool md5)
    {
        long start = body.Position;
        RunningChecksum? checksum = SendsChecksum ? RunningChecksum.Create(Algorithm) : null;
        using var md5Hash = md5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        long length = 0;
        try
        {
            int n;
            while ((n = body.Read(buffer, 0, buffer.Length)) > 0)
            {
                checksum?.Append(buffer.AsSpan(0, n));
                md5Hash?.AppendData(buffer, 0, n);
                length += n;
            }
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
        body.Position = start;
        return new SentBody(checksum, length, !_https || !SendsChecksum, md5Hash?.GetHashAndReset());
    }

    static SentBody Apply(PutObjectRequest request, SentBody sent)
    {
        request.UseChunkEncoding = false; // never aws-chunked: Ceph 18 keeps it as the object's Content-Encoding
        if (!sent.PayloadSigned) request.DisablePayloadSigning = true;
        if (sent.Checksum is { } c)
        {
            // The SDK sends a value only together with its algorithm (a value alone is dropped, measured).
            request.ChecksumAlgorithm = Checksums.ToSdk(c.Algorithm);
            Assign(c.Algorithm, c.Base64(), v => request.ChecksumCRC64NVME = v, v => request.ChecksumCRC32C = v, v => request.ChecksumCRC32 = v, v => request.ChecksumSHA256 = v);
        }
        return sent;
    }

    static SentBody Apply(UploadPartRequest request, SentBody sent)
    {
        request.UseChunkEncoding = false;
        if (!sent.PayloadSigned) request.DisablePayloadSigning = true;
        if (sent.Checksum is { } c)
        {
            request.ChecksumAlgorithm = Checksums.ToSdk(c.Algorithm);
            Assign(c.Algorithm, c.Base64(), v => request.ChecksumCRC64NVME = v, v => request.ChecksumCRC32C = v, v => request.ChecksumCRC32 = v, v => request.ChecksumSHA256 = v);
        }
        return sent;
    }

    /// <summary>Puts a checksum into the field of its algorithm (the SDK's request types share no interface for them).</summary>
    static void Assign(ChecksumAlgorithm algorithm, string value, Action<string> crc64nvme, Action<string> crc32c, Action<string> crc32, Action<string> sha256)
    {
        switch (algorithm)
        {
            case ChecksumAlgorithm.CRC64NVME: crc64nvme(value); break;
            case ChecksumAlgorithm.CRC32C: crc32c(value); break;
            case ChecksumAlgorithm.CRC32: crc32(value); break;
            case ChecksumAlgorithm.SHA256: sha256(value); break;
        }
    }

    /// <summary>Judges the store's answer to one request (see the class summary). Throws an IOException naming
    /// <paramref name="what"/> when the store holds other bytes than were sent.</summary>
    public void Check(string what, SentBody sent, string? etag, StoredChecksum? answered, ServerSideEncryptionMethod? sse)
    {
        if (sent.Checksum is { } checksum && answered is { IsComposite: false } && answered.Algorithm == checksum.Algorithm
            && !string.Equals(answered.Value, checksum.Base64(), StringComparison.Ordinal))
            throw new IOException($"{what}: the store reports {answered} but the bytes written give {checksum.Algorithm}:{checksum.Base64()}; it does not hold what was written.");
        if (StoreVerifiesChecksums && sent.Checksum is not null && !_alwaysCompareMd5) return;
        if (sent.Md5 is not { } md5 || !EtagIsMd5(etag, sse)) return; // nothing more to compare: the payload hash (http) is what proved it
        var hex = Convert.ToHexString(md5).ToLowerInvariant();
        if (!string.Equals(ETagCalculator.Normalize(etag), hex, StringComparison.Ordinal))
            throw new IOException($"{what}: the store reports ETag {etag} but the bytes written give MD5 {hex}; it does not hold what was written.");
    }

    // ---- multipart uploads ----

    /// <summary>Declares the upload's checksum: FULL_OBJECT for the CRCs (one checksum of the whole object, whatever
    /// its parts), COMPOSITE for SHA256 (S3 allows no other for it).</summary>
    public void Initiate(InitiateMultipartUploadRequest request)
    {
        if (!SendsChecksum) return;
        request.ChecksumAlgorithm = Checksums.ToSdk(Algorithm);
        request.ChecksumType = Checksums.IsCrc(Algorithm) ? ChecksumType.FULL_OBJECT : ChecksumType.COMPOSITE;
    }

    /// <summary>A completed part, with the checksum it was sent with (what CompleteMultipartUpload must name, echoed
    /// by the store or not).</summary>
    public static PartETag PartOf(int partNumber, UploadPartResponse response, SentBody sent)
    {
        var part = new PartETag(response) { PartNumber = partNumber };
        if (sent.Checksum is { } c)
            Assign(c.Algorithm, c.Base64(), v => part.ChecksumCRC64NVME = v, v => part.ChecksumCRC32C = v, v => part.ChecksumCRC32 = v, v => part.ChecksumSHA256 = v);
        return part;
    }

    /// <summary>The whole object's checksum from its parts' (in order): the CRCs combined (FULL_OBJECT), or the
    /// composite of the SHA-256s; null when checksums are off.</summary>
    public string? WholeChecksum(IReadOnlyList<SentBody> parts)
    {
        if (!SendsChecksum || parts.Any(p => p.Checksum is null)) return null;
        return Checksums.IsCrc(Algorithm)
            ? Convert.ToBase64String(Checksums.Crc.ToBytes(Algorithm, Checksums.Crc.Combine(Algorithm, parts.Select(p => (p.Checksum!.CrcValue(), p.Length)))))
            : Checksums.Composite(Algorithm, parts.Select(p => p.Checksum!.Value()).ToList());
    }

    /// <summary>CompleteMultipartUpload carries the whole object's checksum (FULL_OBJECT), so the store refuses to
    /// make an object that is not the bytes sent.</summary>
    public void Complete(CompleteMultipartUploadRequest request, IReadOnlyList<SentBody> parts)
    {
        if (!SendsChecksum || !Checksums.IsCrc(Algorithm) || WholeChecksum(parts) is not { } whole) return;
        request.ChecksumType = ChecksumType.FULL_OBJECT;
        Assign(Algorithm, whole, v => request.ChecksumCRC64NVME = v, v => request.ChecksumCRC32C = v, v => request.ChecksumCRC32 = v, _ => { });
    }

    /// <summary>The whole-object check after CompleteMultipartUpload: the checksum the store reports against the one
    /// the parts give, and where the store does not verify checksums the MD5 of the part MD5s against the ETag.</summary>
    public void CheckCompleted(string what, IReadOnlyList<SentBody> parts, string? etag, StoredChecksum? answered, ServerSideEncryptionMethod? sse)
    {
        if (answered is not null && answered.Algorithm == Algorithm && WholeChecksum(parts) is { } expected
            && !string.Equals(answered.IsComposite ? answered.Value : answered.Digest, expected, StringComparison.Ordinal)
            && !(answered.IsComposite && Checksums.IsCrc(Algorithm))) // a store that keeps CRC composites (not ours to judge by)
            throw new IOException($"{what}: the store reports {answered} for the object but its parts give {Algorithm}:{expected}; it does not hold what was written.");
        if (StoreVerifiesChecksums && !_alwaysCompareMd5) return;
        if (parts.Count > 0 && parts.All(p => p.Md5 is not null) && EtagIsMd5(etag, sse))
        {
            var expectedEtag = Md5Parts.Combine(parts.Select(p => p.Md5!).ToList());
            if (!string.Equals(ETagCalculator.Normalize(etag), expectedEtag, StringComparison.Ordinal))
                throw new IOException($"{what}: the store reports ETag {etag} but the parts written give {expectedEtag}; it does not hold what was written.");
        }
    }

    static bool EtagIsMd5(string? etag, ServerSideEncryptionMethod? sse) =>
        !string.IsNullOrEmpty(etag) && (sse is null || sse == ServerSideEncryptionMethod.None || sse == ServerSideEncryptionMethod.AES256);
}
