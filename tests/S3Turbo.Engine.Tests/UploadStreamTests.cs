using System.Security.Cryptography;
using Amazon.S3.Model;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>S3UploadStream against the real S3 server.</summary>
public class UploadStreamTests : IClassFixture<BucketFixture>
{
    const int MiB = 1024 * 1024;
    readonly BucketFixture _s3;
    public UploadStreamTests(BucketFixture s3) => _s3 = s3;

    S3UploadStream Open(string key, long partSize = 5 * MiB, int maxPartsInFlight = 4) =>
        new(_s3.S3, new UploadStreamOptions { BucketName = _s3.Bucket, Key = key, PartSize = partSize, MaxPartsInFlight = maxPartsInFlight });

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(5 * MiB - 1, 1)]    // one byte short of a part: a single PutObject
    [InlineData(5 * MiB, 1)]        // exactly one part
    [InlineData(5 * MiB + 1, 2)]    // one byte over
    [InlineData(100_000_003, 20)]   // ~100 MB in 5 MiB parts
    public async Task Streams_of_any_size_round_trip_byte_exact(int size, int parts)
    {
        var data = TempDir.Random(size, size);
        var key = $"sizes/{size}";
        var stream = Open(key);
        // Odd-sized writes so part boundaries fall inside writes.
        await TestStreams.WriteInChunksAsync(stream, data, 777_777);
        var result = await stream.CompleteAsync();
        await stream.DisposeAsync();
        Assert.Equal(size, result.Size);
        Assert.Equal(parts, result.Parts);
        Assert.Equal(data, await _s3.GetBytesAsync(key));
        Assert.Empty(await _s3.OpenUploadsAsync(key));
        var expectedEtag = parts == 1 ? Convert.ToHexString(MD5.HashData(data)).ToLowerInvariant() : null;
        if (expectedEtag is not null) Assert.Equal(expectedEtag, result.ETag!.Trim('"'));
    }

    [Fact]
    public void A_writer_faster_than_the_network_is_held_to_the_memory_bound()
    {
        using var stream = Open("bound/60m", partSize: 5 * MiB, maxPartsInFlight: 2);
        var chunk = TempDir.Random(MiB, 3);
        for (int i = 0; i < 60; i++) stream.Write(chunk);  // sync writes, as fast as memory copies go
        var result = stream.Complete();
        Assert.Equal(60L * MiB, result.Size);
        Assert.Equal(12, result.Parts);
        long bound = (2 + 1) * 5L * MiB + S3UploadStream.FirstBufferBytes;
        Assert.InRange(stream.PeakBufferedBytes, 5L * MiB, bound);
        Assert.InRange(stream.AllocatedBufferBytes, 5L * MiB, bound);
        Assert.Equal(0, stream.BufferedBytes);
    }

    [Fact]
    public async Task A_small_stream_holds_a_small_buffer_not_a_whole_part()
    {
        await using var stream = Open("bound/small", partSize: 8 * MiB, maxPartsInFlight: 4);
        var data = TempDir.Random(20_000, 4);
        await TestStreams.WriteInChunksAsync(stream, data, 3_000);
        var result = await stream.CompleteAsync();
        Assert.Equal(1, result.Parts);
        Assert.Equal(S3UploadStream.FirstBufferBytes, stream.PeakBufferedBytes);
        Assert.Equal(data, await _s3.GetBytesAsync("bound/small"));
    }

    [Fact]
    public void Unknown_sizes_grow_the_part_size_so_five_TiB_fits_in_ten_thousand_parts()
    {
        // The sizes the stream itself uses (S3UploadStream takes each part's size from PartSizing.GrowingPartSize).
        long total = 0;
        for (int n = 1; n <= 10_000; n++) total += PartSizing.GrowingPartSize(5L * MiB, n);
        Assert.True(total >= PartSizing.MaxObjectSize, $"10,000 growing parts hold only {total} bytes");
        Assert.Equal(5L * MiB, PartSizing.GrowingPartSize(5L * MiB, PartSizing.PartsPerSizeStep));
        Assert.Equal(10L * MiB, PartSizing.GrowingPartSize(5L * MiB, PartSizing.PartsPerSizeStep + 1));
        Assert.Equal(PartSizing.MaxPartSize, PartSizing.GrowingPartSize(PartSizing.MaxPartSize, 10_000));
    }

    [Fact]
    public async Task A_part_that_fails_beyond_the_retries_aborts_the_upload_and_names_the_part()
    {
        const string key = "fail/denied.bin";
        var stream = Open(key, maxPartsInFlight: 2);
        await stream.WriteAsync(TempDir.Random(11 * MiB, 4)); // two parts on their way
        var policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::" + _s3.Bucket + "/fail/*\"}]}";
        await _s3.S3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = _s3.Bucket, Policy = policy });
        try
        {
            var error = await Assert.ThrowsAsync<IOException>(async () =>
            {
                for (int i = 0; i < 10; i++) await stream.WriteAsync(TempDir.Random(5 * MiB, 5 + i));
                await stream.CompleteAsync();
            });
            Assert.Contains(_s3.Bucket, error.Message);
            Assert.Contains(key, error.Message);
            Assert.Contains("part", error.Message);
            Assert.Throws<IOException>(() => stream.Write(new byte[10])); // stays failed
            await stream.DisposeAsync();
            Assert.Empty(await _s3.OpenUploadsAsync("fail/"));
            Assert.False(await _s3.ExistsAsync(key));
        }
        finally { await _s3.S3.DeleteBucketPolicyAsync(_s3.Bucket); }
    }

    [Fact]
    public async Task Abort_removes_the_parts_and_creates_no_object()
    {
        const string key = "abort/x.bin";
        var stream = Open(key);
        await stream.WriteAsync(TempDir.Random(12 * MiB, 6));
        Assert.True(stream.PartsStarted >= 2);
        await stream.AbortAsync();
        await stream.DisposeAsync();
        Assert.Empty(await _s3.OpenUploadsAsync(key));
        Assert.False(await _s3.ExistsAsync(key));
        Assert.Throws<ObjectDisposedException>(() => stream.Write(new byte[1]));
    }

    [Fact]
    public async Task Object_settings_and_tags_apply_on_both_paths()
    {
        var settings = new ObjectSettings { ContentType = "text/csv", Metadata = new Dictionary<string, string> { ["owner"] = "etl" }, Tags = new Dictionary<string, string> { ["tier"] = "hot" } };
        foreach (var (key, size) in new[] { ("set/small.csv", 10), ("set/large.csv", 6 * MiB) })
        {
            await using (var stream = new S3UploadStream(_s3.S3, new UploadStreamOptions { BucketName = _s3.Bucket, Key = key, PartSize = 5 * MiB, Settings = settings }))
                await stream.WriteAsync(TempDir.Random(size, 7));
            var head = await _s3.S3.GetObjectMetadataAsync(_s3.Bucket, key);
            Assert.Equal("text/csv", head.Headers.ContentType);
            Assert.Equal("etl", head.Metadata["owner"]);
            var tags = await _s3.S3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = _s3.Bucket, Key = key });
            Assert.Contains(tags.Tagging, t => t.Key == "tier" && t.Value == "hot");
        }
    }
}
