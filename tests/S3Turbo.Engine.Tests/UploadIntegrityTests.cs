using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using S3Turbo.Engine.Storage;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>CRC32C itself, against the published check values.</summary>
public class Crc32CTests
{
    [Fact]
    public void Matches_the_standard_check_value_and_is_the_same_in_pieces()
    {
        var data = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Compute(data)); // the CRC-32C (Castagnoli) check value
        Assert.Equal(0u, Crc32C.Compute(ReadOnlySpan<byte>.Empty));
        var big = TempDir.Random(1_000_003, 1);
        var pieces = new Crc32C();
        for (int at = 0; at < big.Length; at += 65_537) pieces.Append(big.AsSpan(at, Math.Min(65_537, big.Length - at)));
        Assert.Equal(Crc32C.Compute(big), pieces.Value);
        Assert.NotEqual(Crc32C.Compute(big), Crc32C.Compute(big.AsSpan(1)));
    }

    [Fact]
    public void Encodes_as_S3_does_big_endian_base64_and_composite_with_the_part_count()
    {
        // S3 sends x-amz-checksum-crc32c as the base64 of the 4 big-endian bytes.
        Assert.Equal(Convert.ToBase64String(new byte[] { 0xE3, 0x06, 0x92, 0x83 }), Crc32C.ToBase64(0xE3069283u));
        uint a = Crc32C.Compute("part one"u8), b = Crc32C.Compute("part two"u8);
        var concatenated = Crc32C.ToBytes(a).Concat(Crc32C.ToBytes(b)).ToArray();
        Assert.Equal(Crc32C.ToBase64(Crc32C.Compute(concatenated)) + "-2", Crc32C.Composite(new[] { a, b }));
    }
}

/// <summary>New-S3UploadStream's verification against the real server: a byte flipped on the way to the store is
/// caught whichever proof applies (the SigV4 payload hash over http; the MD5 against the ETag over https, where the
/// body is sent unsigned and Ceph Reef ignores checksums), and the upload is then aborted with nothing stored.</summary>
public class UploadIntegrityTests : IClassFixture<BucketFixture>
{
    const int MiB = 1024 * 1024;
    readonly BucketFixture _s3;
    public UploadIntegrityTests(BucketFixture s3) => _s3 = s3;

    /// <summary>A client through the proxy; over its TLS endpoint the proxy's certificate is trusted.</summary>
    static IAmazonS3 ClientThrough(FaultProxy proxy) => new AmazonS3Client(new BasicAWSCredentials(TestS3.AccessKey, TestS3.SecretKey), new AmazonS3Config
    {
        ServiceURL = proxy.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 2,
        HttpClientFactory = new TrustingHttpClientFactory(),
    });

    S3UploadStream Open(IAmazonS3 s3, string key, bool alwaysCompareMd5 = false) =>
        new(s3, new UploadStreamOptions { BucketName = _s3.Bucket, Key = key, PartSize = 5 * MiB, MaxPartsInFlight = 4, AlwaysCompareMd5 = alwaysCompareMd5 });

    static FaultRule Corrupt(string pathContains) => new(FaultKind.CorruptRequestBody, 1.0, "PUT", pathContains) { AfterBytes = 100_000 };

    async Task AssertNothingStoredAsync(string key)
    {
        Assert.Empty(await _s3.OpenUploadsAsync(key));
        Assert.False(await _s3.ExistsAsync(key), $"{key} must not exist after a failed upload");
    }

    [Theory]
    [InlineData(false, "partNumber=2&", "SHA-256")] // http: SigV4 signs the body's SHA-256; the store refuses the part
    [InlineData(true, "partNumber=1&", "checksum")] // https: unsigned body; the store checks the CRC32C sent with it (BadDigest)
    public async Task A_part_corrupted_on_the_way_is_caught_and_the_upload_aborted(bool tls, string part, string caughtBy)
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
        Assert.Contains(caughtBy, error.Message);
        await AssertNothingStoredAsync(key);
    }

    [Theory]
    [InlineData(false, "SHA-256")]
    [InlineData(true, "MD5")] // the store has created the object: it is deleted again
    public async Task A_single_put_corrupted_on_the_way_leaves_no_object(bool tls, string caughtBy)
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint, tls: tls) { Rules = new[] { Corrupt("/single/") } };
        var key = $"corrupt/{(tls ? "tls" : "http")}/single/small.bin";
        var stream = Open(ClientThrough(proxy), key);
        await stream.WriteAsync(TempDir.Random(MiB, 3));
        var error = await Assert.ThrowsAsync<IOException>(() => stream.CompleteAsync());
        await stream.DisposeAsync();
        Assert.Equal(1, proxy.Injected(FaultKind.CorruptRequestBody));
        Assert.Contains(key, error.Message);
        Assert.Contains(caughtBy, error.Message);
        await AssertNothingStoredAsync(key);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task Clean_uploads_pass_every_check_byte_exact(bool tls, bool alwaysCompareMd5)
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint, tls: tls);
        var s3 = ClientThrough(proxy);
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
        }
    }
}
