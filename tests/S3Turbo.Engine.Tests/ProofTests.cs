using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>The checksums S3 keeps, against their published check values and System.IO.Hashing, and CRC combination.</summary>
public class ChecksumTests
{
    [Theory]
    [InlineData(ChecksumAlgorithm.CRC64NVME, 0xAE8B14860A799888UL)] // CRC-64/NVME
    [InlineData(ChecksumAlgorithm.CRC32C, 0xE3069283UL)]            // CRC-32C (Castagnoli)
    [InlineData(ChecksumAlgorithm.CRC32, 0xCBF43926UL)]             // CRC-32 (IEEE)
    public void Match_the_standard_check_values_and_encode_as_S3_does(ChecksumAlgorithm algorithm, ulong check)
    {
        var crc = RunningChecksum.Create(algorithm);
        crc.Append("123456789"u8);
        Assert.Equal(check, crc.CrcValue());
        Assert.Equal(Convert.ToBase64String(Checksums.Crc.ToBytes(algorithm, check)), crc.Base64()); // big-endian, base64
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.CRC64NVME)]
    [InlineData(ChecksumAlgorithm.CRC32C)]
    [InlineData(ChecksumAlgorithm.CRC32)]
    public void Combined_part_CRCs_equal_the_CRC_of_the_whole(ChecksumAlgorithm algorithm)
    {
        var random = new Random(7);
        for (int round = 0; round < 40; round++)
        {
            var data = TempDir.Random(random.Next(0, 300_000), round);
            var cuts = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(0, data.Length + 1)).Append(0).Append(data.Length).Distinct().OrderBy(c => c).ToList();
            var parts = cuts.Zip(cuts.Skip(1), (from, to) =>
            {
                var crc = RunningChecksum.Create(algorithm);
                crc.Append(data.AsSpan(from, to - from));
                return (crc.CrcValue(), (long)(to - from));
            }).ToList();
            var whole = RunningChecksum.Create(algorithm);
            whole.Append(data);
            Assert.Equal(whole.CrcValue(), Checksums.Crc.Combine(algorithm, parts));
        }
    }

    [Fact]
    public void A_part_of_zero_bytes_changes_nothing_and_a_composite_names_its_part_count()
    {
        var a = RunningChecksum.Create(ChecksumAlgorithm.CRC64NVME);
        a.Append("part one"u8);
        Assert.Equal(a.CrcValue(), Checksums.Crc.Combine(ChecksumAlgorithm.CRC64NVME, a.CrcValue(), RunningChecksum.Create(ChecksumAlgorithm.CRC64NVME).CrcValue(), 0));
        var parts = new[] { "one"u8.ToArray(), "two"u8.ToArray() }.Select(p => { var c = RunningChecksum.Create(ChecksumAlgorithm.SHA256); c.Append(p); return c.Value(); }).ToList();
        Assert.EndsWith("-2", Checksums.Composite(ChecksumAlgorithm.SHA256, parts));
        var stored = StoredChecksum.From(null, "3q2+7w==-3", null, null, "COMPOSITE")!;
        Assert.Equal((ChecksumAlgorithm.CRC32C, true, 3, "3q2+7w=="), (stored.Algorithm, stored.IsComposite, stored.PartCount, stored.Digest));
        // A value of the wrong width for its algorithm is no proof (moto's 4-byte "CRC64NVME" of multipart objects).
        Assert.Null(StoredChecksum.From("3q2+7w==", null, null, null, "FULL_OBJECT"));
        Assert.NotNull(StoredChecksum.From("3q2+7969rb4=", null, null, null, "FULL_OBJECT"));
    }
}

/// <summary>New-S3UploadStream's proof against the real server: a byte flipped on the way to the store is caught
/// whichever proof applies (over http the SigV4 payload hash; over https, where the body goes unsigned, the checksum
/// sent with it on a store that verifies, else the MD5 against the ETag), and the upload is then aborted with nothing
/// stored; clean uploads carry the checksum asked for, of the whole object.</summary>
public class StreamProofTests : IClassFixture<BucketFixture>
{
    const int MiB = 1024 * 1024;
    readonly BucketFixture _s3;
    public StreamProofTests(BucketFixture s3) => _s3 = s3;

    /// <summary>A client through the proxy; over its TLS endpoint the proxy's certificate is trusted.</summary>
    static IAmazonS3 ClientThrough(FaultProxy proxy) => new AmazonS3Client(new BasicAWSCredentials(TestS3.AccessKey, TestS3.SecretKey), new AmazonS3Config
    {
        ServiceURL = proxy.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 2,
        HttpClientFactory = new TrustingHttpClientFactory(),
        // As S3Turbo's own clients: checksums only where S3Turbo sets them (the SDK's default adds a CRC32 of its own).
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    S3UploadStream Open(IAmazonS3 s3, string key, bool alwaysCompareMd5 = false, ChecksumAlgorithm checksum = ChecksumAlgorithm.CRC64NVME) =>
        new(s3, new UploadStreamOptions
        {
            BucketName = _s3.Bucket, Key = key, PartSize = 5 * MiB, MaxPartsInFlight = 4, AlwaysCompareMd5 = alwaysCompareMd5,
            Settings = new ObjectSettings { Checksum = checksum },
        });

    static FaultRule Corrupt(string pathContains) => new(FaultKind.CorruptRequestBody, 1.0, "PUT", pathContains) { AfterBytes = 100_000 };

    async Task AssertNothingStoredAsync(string key)
    {
        Assert.Empty(await _s3.OpenUploadsAsync(key));
        Assert.False(await _s3.ExistsAsync(key), $"{key} must not exist after a failed upload");
    }

    /// <summary>What refuses a corrupted body: over http the signed SHA-256; over https the checksum, or the MD5. A store
    /// that verifies no checksum may ignore the payload's signed SHA-256 too (moto does): then the MD5 catches it.</summary>
    async Task<string[]> CaughtByAsync(bool tls) => await _s3.StoreVerifiesChecksumsAsync()
        ? new[] { tls ? "BadDigest" : "XAmzContentSHA256Mismatch" }
        : tls ? new[] { "MD5" } : new[] { "XAmzContentSHA256Mismatch", "MD5" };

    [Theory]
    [InlineData(false, "partNumber=2&")]
    [InlineData(true, "partNumber=1&")]
    public async Task A_part_corrupted_on_the_way_is_caught_and_the_upload_aborted(bool tls, string part)
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint, tls: tls) { Rules = new[] { Corrupt(part) } };
        var key = $"corrupt/{(tls ? "tls" : "http")}/multipart.bin";
        var stream = Open(ClientThrough(proxy), key);
        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await TestStreams.WriteInChunksAsync(stream, TempDir.Random(16 * MiB, 2), MiB);
            await stream.CompleteAsync();
        });
        await stream.DisposeAsync();
        Assert.True(proxy.Injected(FaultKind.CorruptRequestBody) >= 1, "the proxy must have corrupted a part");
        Assert.Contains(key, error.Message);
        var caughtBy = await CaughtByAsync(tls);
        Assert.True(caughtBy.Any(error.Message.Contains), $"expected {string.Join(" or ", caughtBy)}: {error.Message}");
        await AssertNothingStoredAsync(key);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_single_put_corrupted_on_the_way_leaves_no_object(bool tls)
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint, tls: tls) { Rules = new[] { Corrupt("/single/") } };
        var key = $"corrupt/{(tls ? "tls" : "http")}/single/small.bin";
        var stream = Open(ClientThrough(proxy), key);
        await stream.WriteAsync(TempDir.Random(MiB, 3));
        var error = await Assert.ThrowsAsync<IOException>(() => stream.CompleteAsync());
        await stream.DisposeAsync();
        Assert.True(proxy.Injected(FaultKind.CorruptRequestBody) >= 1, error.Message);
        Assert.Contains(key, error.Message);
        var caughtBy = await CaughtByAsync(tls);
        Assert.True(caughtBy.Any(error.Message.Contains), $"expected {string.Join(" or ", caughtBy)}: {error.Message}");
        await AssertNothingStoredAsync(key);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task Clean_uploads_pass_every_check_byte_exact_with_a_full_object_checksum(bool tls, bool alwaysCompareMd5)
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint, tls: tls);
        var s3 = ClientThrough(proxy);
        bool keeps = await _s3.StoreKeepsChecksumsAsync(), keepsMultipart = await _s3.StoreKeepsMultipartChecksumsAsync();
        foreach (var size in new[] { 3 * MiB, 23 * MiB + 17 })
        {
            var key = $"clean/{tls}-{alwaysCompareMd5}/{size}";
            var data = TempDir.Random(size, size);
            var stream = Open(s3, key, alwaysCompareMd5);
            await TestStreams.WriteInChunksAsync(stream, data, 999_999);
            var result = await stream.CompleteAsync();
            await stream.DisposeAsync();
            Assert.Equal(size > 5 * MiB ? 5 : 1, result.Parts);
            Assert.Equal(data, await _s3.GetBytesAsync(key));
            var expected = RunningChecksum.Of(ChecksumAlgorithm.CRC64NVME, data);
            Assert.Equal("CRC64NVME:" + expected, result.Checksum);
            var stored = await _s3.StoredChecksumAsync(key);
            if (result.Parts > 1 ? keepsMultipart : keeps) Assert.Equal(new StoredChecksum(ChecksumAlgorithm.CRC64NVME, expected, false, 0), stored);
            else Assert.Null(stored);
        }
    }

    /// <summary>Each algorithm -ChecksumAlgorithm offers: the CRCs are FULL_OBJECT whatever the part count; SHA-256
    /// cannot be combined, so a multipart object gets the COMPOSITE checksum of its parts' SHA-256s; None sends none.</summary>
    [Theory]
    [InlineData(ChecksumAlgorithm.CRC32C)]
    [InlineData(ChecksumAlgorithm.CRC32)]
    [InlineData(ChecksumAlgorithm.SHA256)]
    [InlineData(ChecksumAlgorithm.None)]
    public async Task Every_algorithm_is_stored_as_asked(ChecksumAlgorithm algorithm)
    {
        bool keeps = await _s3.StoreKeepsChecksumsAsync(), keepsMultipart = await _s3.StoreKeepsMultipartChecksumsAsync();
        foreach (var size in new[] { 2 * MiB, 12 * MiB + 5 })
        {
            var key = $"algorithm/{algorithm}/{size}";
            var data = TempDir.Random(size, size + 1);
            var stream = Open(_s3.S3, key, checksum: algorithm);
            await TestStreams.WriteInChunksAsync(stream, data, MiB);
            var result = await stream.CompleteAsync();
            await stream.DisposeAsync();
            Assert.Equal(data, await _s3.GetBytesAsync(key));
            var stored = await _s3.StoredChecksumAsync(key);
            if (algorithm == ChecksumAlgorithm.None || !keeps) { Assert.Null(stored); continue; }
            if (size > 5 * MiB && !keepsMultipart) continue; // moto: no (or a wrong) whole-object checksum for multipart; the bytes are checked above
            Assert.NotNull(stored);
            Assert.Equal(algorithm, stored!.Algorithm);
            if (algorithm == ChecksumAlgorithm.SHA256 && size > 5 * MiB)
            {
                var parts = Enumerable.Range(0, 3).Select(i => RunningChecksum.Create(ChecksumAlgorithm.SHA256)).ToList();
                for (int i = 0; i < 3; i++) parts[i].Append(data.AsSpan(i * 5 * MiB, Math.Min(5 * MiB, size - i * 5 * MiB)));
                Assert.Equal(Checksums.Composite(ChecksumAlgorithm.SHA256, parts.Select(p => p.Value()).ToList()), stored.Value);
                Assert.True(stored.IsComposite);
            }
            else
            {
                Assert.Equal(RunningChecksum.Of(algorithm, data), stored.Value);
                Assert.False(stored.IsComposite);
            }
            Assert.Equal($"{algorithm}:{stored.Value}", result.Checksum);
        }
    }

    /// <summary>A store that refuses checksum headers stops the upload before any byte of it is stored, naming the
    /// parameter that sends none.</summary>
    [Fact]
    public async Task A_store_that_refuses_checksum_headers_is_named_and_nothing_is_written()
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint) { RefuseChecksumHeaders = true };
        var key = "refused/stream.bin";
        var stream = Open(ClientThrough(proxy), key, checksum: ChecksumAlgorithm.CRC32C);
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await TestStreams.WriteInChunksAsync(stream, TempDir.Random(7 * MiB, 8), MiB);
            await stream.CompleteAsync();
        });
        await stream.DisposeAsync();
        var typed = error as S3TurboException ?? error.InnerException as S3TurboException;
        Assert.True(typed is not null, error.ToString());
        Assert.Equal(ErrorIds.ChecksumNotSupportedByStore, typed!.ErrorId);
        Assert.Contains("-ChecksumAlgorithm", typed.Message);
        Assert.Contains("CRC32C", typed.Message);
        await AssertNothingStoredAsync(key);

        // With None the same store takes the object, proven by its MD5 ETag.
        var plain = Open(ClientThrough(proxy), key, checksum: ChecksumAlgorithm.None);
        var data = TempDir.Random(7 * MiB, 9);
        await TestStreams.WriteInChunksAsync(plain, data, MiB);
        var result = await plain.CompleteAsync();
        await plain.DisposeAsync();
        Assert.Null(result.Checksum);
        Assert.Equal(data, await _s3.GetBytesAsync(key));
    }
}
