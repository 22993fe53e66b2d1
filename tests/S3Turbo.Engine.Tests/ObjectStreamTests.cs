using System.IO.Compression;
using Amazon.S3.Model;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Tests;

/// <summary>One 64 MiB object shared by the read tests.</summary>
public sealed class BigObjectFixture : IAsyncLifetime
{
    public BucketFixture S3 { get; } = new();
    public byte[] Data { get; } = TempDir.Random(64 * 1024 * 1024, 64);
    public const string Key = "big/64m.bin";

    public async Task InitializeAsync()
    {
        await S3.InitializeAsync();
        await S3.S3.PutObjectAsync(new PutObjectRequest { BucketName = S3.Bucket, Key = Key, InputStream = new MemoryStream(Data) });
    }

    public Task DisposeAsync() => S3.DisposeAsync();
}

/// <summary>S3ObjectStream against the real S3 server.</summary>
public class ObjectStreamTests : IClassFixture<BigObjectFixture>
{
    const int MiB = 1024 * 1024;
    readonly BigObjectFixture _f;
    public ObjectStreamTests(BigObjectFixture f) => _f = f;

    Task<S3ObjectStream> OpenAsync(string key = BigObjectFixture.Key, int blockSize = MiB, long maxMemory = 64L * MiB, long maxReadAhead = 16L * MiB, Amazon.S3.IAmazonS3? client = null) =>
        S3ObjectStream.OpenAsync(client ?? _f.S3.S3, new ObjectStreamOptions
            { BucketName = _f.S3.Bucket, Key = key, BlockSize = blockSize, MaxMemory = maxMemory, MaxReadAhead = maxReadAhead });

    [Fact]
    public async Task A_thousand_random_reads_match_and_cost_at_most_one_request_each()
    {
        await using var stream = await OpenAsync(maxMemory: 16L * MiB);
        var random = new Random(1000);
        var buffer = new byte[64 * 1024];
        for (int i = 0; i < 1000; i++)
        {
            long offset = random.NextInt64(stream.Length);
            int length = random.Next(1, buffer.Length);
            stream.Position = offset;
            int read = await stream.ReadAsync(buffer.AsMemory(0, length));
            int expected = (int)Math.Min(length, stream.Length - offset);
            Assert.Equal(expected, read);
            Assert.True(buffer.AsSpan(0, read).SequenceEqual(_f.Data.AsSpan((int)offset, read)), $"read {i} at {offset}");
        }
        var stats = stream.Stats;
        Assert.InRange(stats.Requests, 1, 1000);
        Assert.True(stats.BlockHits > 0, "a 64-block object read 1,000 times must hit its cache");
        Assert.InRange(stats.PeakCachedBytes, 1, 16L * MiB);
    }

    [Fact]
    public async Task A_full_sequential_read_matches_within_the_memory_cap_and_reads_ahead()
    {
        await using var stream = await OpenAsync(maxMemory: 8L * MiB, maxReadAhead: 6L * MiB);
        var copy = new MemoryStream();
        var buffer = new byte[81_920];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0) copy.Write(buffer, 0, n);
        Assert.Equal(_f.Data.Length, copy.Length);
        Assert.True(copy.GetBuffer().AsSpan(0, (int)copy.Length).SequenceEqual(_f.Data));
        var stats = stream.Stats;
        Assert.InRange(stats.PeakCachedBytes, 2L * MiB, 8L * MiB);
        Assert.Equal(_f.Data.Length, stats.BytesRequested);          // every byte fetched exactly once
        Assert.True(stats.BlockHits > stats.BlockMisses, $"read-ahead should serve most blocks: {stats.BlockHits} hits, {stats.BlockMisses} misses");
        Assert.Equal(0, stream.Read(buffer, 0, buffer.Length));      // at the end
    }

    [Fact]
    public async Task ExpectSequential_fetches_its_first_window_in_one_round_over_the_fetch_slots()
    {
        // 20 blocks, 2 fetch slots, 4 blocks per GET: two GETs of 10 blocks, not five GETs in three waves.
        await _f.S3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _f.S3.Bucket, Key = "big/20m.bin", InputStream = new MemoryStream(_f.Data, 0, 20 * MiB) });
        await using var stream = await S3ObjectStream.OpenAsync(_f.S3.S3, new ObjectStreamOptions
        {
            BucketName = _f.S3.Bucket, Key = "big/20m.bin", BlockSize = MiB, MaxMemory = 32L * MiB, MaxReadAhead = 20L * MiB,
            MaxConcurrentFetches = 2, MaxBlocksPerRequest = 4,
        });
        stream.ExpectSequential();
        var buffer = new byte[20 * MiB];
        await stream.ReadExactlyAsync(buffer);
        Assert.True(buffer.AsSpan().SequenceEqual(_f.Data.AsSpan(0, buffer.Length)));
        Assert.Equal(2, stream.Stats.Requests);
        Assert.Equal(20L * MiB, stream.Stats.BytesRequested);
    }

    [Fact]
    public async Task Reading_past_the_end_returns_zero()
    {
        await using var stream = await OpenAsync();
        stream.Seek(10, SeekOrigin.End);
        Assert.Equal(0, await stream.ReadAsync(new byte[100]));
        stream.Seek(-3, SeekOrigin.End);
        var tail = new byte[100];
        Assert.Equal(3, await stream.ReadAsync(tail));
        Assert.True(tail.AsSpan(0, 3).SequenceEqual(_f.Data.AsSpan(_f.Data.Length - 3)));
        Assert.Throws<IOException>(() => stream.Seek(-1, SeekOrigin.Begin));
    }

    [Fact]
    public async Task A_zips_entry_list_is_read_from_a_small_fraction_of_the_object()
    {
        var zipBytes = new MemoryStream();
        using (var zip = new ZipArchive(zipBytes, ZipArchiveMode.Create, leaveOpen: true))
            for (int i = 0; i < 24; i++)
            {
                var entry = zip.CreateEntry($"dir/entry-{i:D2}.bin", CompressionLevel.NoCompression);
                using var w = entry.Open();
                w.Write(TempDir.Random(MiB, 100 + i));
            }
        await _f.S3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _f.S3.Bucket, Key = "zip/a.zip", InputStream = new MemoryStream(zipBytes.ToArray()) });
        await using var stream = await OpenAsync("zip/a.zip", blockSize: 64 * 1024);
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => $"dir/entry-{i:D2}.bin"), archive.Entries.Select(e => e.FullName));
        Assert.All(archive.Entries, e => Assert.Equal(MiB, e.Length));
        Assert.True(stream.Stats.BytesRequested < stream.Length / 50, $"{stream.Stats.BytesRequested} of {stream.Length} bytes fetched to list the entries");
    }

    [Fact]
    public async Task An_object_overwritten_after_open_fails_with_ObjectChanged_instead_of_mixing_versions()
    {
        const string key = "changing/x.bin";
        await _f.S3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _f.S3.Bucket, Key = key, InputStream = new MemoryStream(TempDir.Random(3 * MiB, 1)) });
        await using var stream = await OpenAsync(key, maxReadAhead: 0);
        Assert.Equal(100, await stream.ReadAsync(new byte[100]));      // block 0 is cached
        await _f.S3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _f.S3.Bucket, Key = key, InputStream = new MemoryStream(TempDir.Random(3 * MiB, 2)) });
        stream.Position = 2 * MiB;
        var error = await Assert.ThrowsAsync<S3ObjectChangedException>(() => stream.ReadAsync(new byte[100]).AsTask());
        Assert.Contains(key, error.Message);
        Assert.Contains(stream.ETag, error.Message);
    }

    [Fact]
    public async Task A_connection_dropped_mid_body_is_retried_and_the_bytes_are_exact()
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint) { ResetAfterResponseBytes = 300 * 1024 };
        var client = S3ClientFactory.Create(TestS3.Options(endpoint: proxy.Endpoint));
        await using var stream = await OpenAsync(client: client, maxReadAhead: 0);
        proxy.ResetsRemaining = 2;
        var buffer = new byte[2 * MiB];
        stream.Position = 5 * MiB;
        await stream.ReadExactlyAsync(buffer);
        Assert.True(buffer.AsSpan().SequenceEqual(_f.Data.AsSpan(5 * MiB, 2 * MiB)));
        Assert.Equal(2, proxy.ResetsDone);
    }

    [Fact]
    public async Task A_missing_object_is_ObjectNotFound()
    {
        var ex = await Assert.ThrowsAsync<S3TurboException>(() => OpenAsync("no/such/key"));
        Assert.Equal(ErrorIds.ObjectNotFound, ex.ErrorId);
        Assert.Contains("no/such/key", ex.Message);
    }
}
