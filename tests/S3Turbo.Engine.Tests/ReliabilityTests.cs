using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Copy;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>Fault suites (issue: reliability): every file or object is transferred byte-exact or reported, and no
/// multipart upload is left open, with connection resets, 503s and 500s injected by the FaultProxy (seeded).</summary>
public class ReliabilityTests : IClassFixture<BucketFixture>
{
    const int MiB = 1024 * 1024;
    readonly BucketFixture _s3;
    public ReliabilityTests(BucketFixture s3) => _s3 = s3;

    static IAmazonS3 ClientThrough(FaultProxy proxy, int maxRetries = 8) => TestS3.ClientThrough(proxy, maxRetries);

    /// <summary>5% resets before forwarding, 5% 503 SlowDown, 2% 500 InternalError, 3% of PUT responses cut off.</summary>
    static readonly FaultRule[] Flaky =
    {
        new(FaultKind.ResetBeforeForwarding, 0.05),
        new(FaultKind.SlowDown503, 0.05),
        new(FaultKind.InternalError500, 0.02),
        new(FaultKind.ResetMidResponse, 0.03, Method: "PUT") { AfterBytes = 12 }, // inside the status line
    };

    /// <summary>A tree of 490 small files and 10 multipart-sized ones.</summary>
    static Dictionary<string, byte[]> WriteTree(TempDir dir, int seed)
    {
        var files = new Dictionary<string, byte[]>();
        for (int i = 0; i < 500; i++)
        {
            var name = $"d{i % 7}/f{i:D3}.bin";
            files[name] = TempDir.Random(i % 50 == 0 ? 6 * MiB + i : 1 + (i * 97 % 8000), seed * 1000 + i);
            dir.Write(name, files[name]);
        }
        return files;
    }

    async Task<(TransferSummary Summary, List<UploadResult> Results)> UploadAsync(IAmazonS3 client, TempDir dir, string prefix, CancellationToken cancellationToken = default, int? maxConcurrency = null)
    {
        using var upload = DirectoryUpload.Start(client, new UploadOptions
        {
            BucketName = _s3.Bucket, Mode = TransferMode.Overwrite, MultipartThreshold = 5 * MiB, PartSize = 5 * MiB, MaxConcurrency = maxConcurrency,
        }, cancellationToken);
        var results = new List<UploadResult>();
        var reader = Task.Run(async () => { await foreach (var r in upload.Results.Outcomes()) results.Add(r); });
        try
        {
            foreach (var item in LocalFileEnumerator.Enumerate(dir.Path, true, false, new WildcardFilter(null, null), new KeyMapper(dir.Path, prefix), default))
                await upload.AddAsync(item, cancellationToken);
        }
        finally { upload.CompleteAdding(); }
        var summary = await upload.Completion;
        await reader;
        return (summary, results);
    }

    /// <summary>Every object under the prefix equals its source (single-part ETag = MD5; multipart objects compared
    /// byte for byte); returns how many were checked.</summary>
    async Task<int> AssertExactAsync(string prefix, IReadOnlyDictionary<string, byte[]> sources, bool all = true)
    {
        int checkedObjects = 0;
        string? token = null;
        var seen = new HashSet<string>();
        do
        {
            var page = await _s3.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = prefix, ContinuationToken = token });
            foreach (var o in page.S3Objects ?? new())
            {
                var name = o.Key[prefix.Length..];
                Assert.True(sources.TryGetValue(name, out var expected), $"unexpected object {o.Key}");
                Assert.Equal(expected!.Length, o.Size);
                if (o.ETag!.Contains('-'))
                {
                    var stored = await _s3.GetBytesAsync(o.Key);
                    Assert.True(stored.AsSpan().SequenceEqual(expected), o.Key);
                }
                else Assert.Equal(Convert.ToHexString(MD5.HashData(expected)).ToLowerInvariant(), o.ETag.Trim('"'));
                seen.Add(name);
                checkedObjects++;
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        if (all) Assert.Equal(sources.Count, seen.Count);
        Assert.Empty(await _s3.OpenUploadsAsync(prefix));
        return checkedObjects;
    }

    [Fact]
    public async Task Upload_with_resets_503s_and_500s_completes_exactly_and_counts_its_retries()
    {
        using var dir = new TempDir();
        var files = WriteTree(dir, 1);
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 11) { Rules = Flaky };
        var (summary, results) = await UploadAsync(ClientThrough(proxy), dir, "flaky-up/");
        Assert.Equal(0, summary.ItemsFailed);
        Assert.Equal(500, summary.ItemsTransferred);
        Assert.True(proxy.InjectedTotal > 10, $"only {proxy.InjectedTotal} faults were injected");
        Assert.True(summary.Retries > 0, "retries must be counted in the summary");
        Assert.Equal(500, await AssertExactAsync("flaky-up/", files));
    }

    /// <summary>A run through a 503 storm: nothing failed, the controller saw the throttling and lowered concurrency.</summary>
    static void AssertBackedOffAndCompleted(TransferSummary summary)
    {
        Assert.Equal(0, summary.ItemsFailed);
        Assert.True(summary.ThrottleEvents > 0, "the controller must have seen the throttling");
        Assert.True(summary.Concurrency < summary.PeakConcurrency || summary.PeakConcurrency <= 2, $"concurrency {summary.Concurrency}, peak {summary.PeakConcurrency}: it must have backed off");
    }

    [Fact]
    public async Task A_five_second_503_storm_makes_the_controller_back_off_and_the_run_completes()
    {
        using var dir = new TempDir();
        var files = new Dictionary<string, byte[]>();
        for (int i = 0; i < 300; i++) { files[$"s{i:D3}"] = TempDir.Random(2000 + i, 500 + i); dir.Write($"s{i:D3}", files[$"s{i:D3}"]); }
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 12) { Rules = new[] { new FaultRule(FaultKind.SlowDown503, 1.0) } };
        var client = ClientThrough(proxy, maxRetries: 12);
        var run = UploadAsync(client, dir, "storm/");
        await Task.Delay(TimeSpan.FromSeconds(5));
        proxy.Rules = Array.Empty<FaultRule>();
        var (summary, _) = await run;
        AssertBackedOffAndCompleted(summary);
        Assert.Equal(300, await AssertExactAsync("storm/", files));
    }

    [Fact]
    public async Task Cancelling_at_twenty_random_points_leaves_no_open_upload_and_no_object_that_differs()
    {
        using var dir = new TempDir();
        var files = new Dictionary<string, byte[]>();
        for (int i = 0; i < 30; i++) { files[$"c{i:D2}"] = TempDir.Random(i % 10 == 0 ? 11 * MiB : 3000 + i, 900 + i); dir.Write($"c{i:D2}", files[$"c{i:D2}"]); }
        int checkedObjects = 0;
        for (int seed = 1; seed <= 20; seed++)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(new Random(seed).Next(0, 1500)));
            // A client per run, as each cmdlet invocation has: connections cut by the cancellation are not reused.
            try { await UploadAsync(TestS3.Client(), dir, $"cancel/{seed}/", stop.Token, maxConcurrency: 4); }
            catch (OperationCanceledException) { }
            catch (S3TurboException ex) when (ex.Kind == FailureKind.Stopped) { }
            checkedObjects += await AssertExactAsync($"cancel/{seed}/", files, all: false);
        }
        Assert.True(checkedObjects > 0, "some runs must have got far enough to store objects");
    }

    /// <summary>The gateway process stopped for 10 s mid-run and started again (tools/s3-server-restart-gateway.sh):
    /// the run completes or reports exactly what failed, nothing stored is partial, no upload is left open, and a
    /// second run in Update mode finishes the job. Needs the local Ceph gateway; build.ps1 leaves it out when the
    /// tests are pointed at another store.</summary>
    [Fact]
    [Trait("Category", "LocalGateway")]
    public async Task The_gateway_going_away_for_ten_seconds_loses_nothing_and_a_rerun_finishes_the_job()
    {
        var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../tools/s3-server-restart-gateway.sh"));
        Assert.True(File.Exists("/var/tmp/s3turbo-ceph/rootfs/ceph/run/client.rgw.a.pid"), "this test needs the local Ceph gateway started by tools/s3-server-start.sh");
        using var dir = new TempDir();
        var files = new Dictionary<string, byte[]>();
        for (int i = 0; i < 240; i++) { files[$"g{i:D3}"] = TempDir.Random(i % 60 == 0 ? 11 * MiB : 500 + i * 13, 3000 + i); dir.Write($"g{i:D3}", files[$"g{i:D3}"]); }
        // A delaying proxy keeps the run going long enough for the outage to land in the middle of it.
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 15) { Rules = new[] { new FaultRule(FaultKind.Delay, 1.0) { Delay = TimeSpan.FromMilliseconds(60) } } };
        var client = ClientThrough(proxy, maxRetries: 10);
        var run = UploadAsync(client, dir, "outage/", maxConcurrency: 4);
        await Task.Delay(700);
        var restart = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", script) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var (summary, results) = await run;
        await restart.WaitForExitAsync();
        Assert.Equal(0, restart.ExitCode);
        Assert.Equal(240, results.Count);
        Assert.All(results.Where(r => r.Status == UploadStatus.Failed), r => Assert.NotNull(r.Error));
        Assert.Equal(results.Count(r => r.Status == UploadStatus.Failed), summary.ItemsFailed);
        await AssertExactAsync("outage/", files, all: false);     // nothing stored is partial or wrong, nothing left open

        proxy.Rules = Array.Empty<FaultRule>();
        using var upload = DirectoryUpload.Start(_s3.S3, new UploadOptions { BucketName = _s3.Bucket, Mode = TransferMode.Update, MultipartThreshold = 5 * MiB, PartSize = 5 * MiB }, default);
        var reader = Task.Run(async () => { await foreach (var _ in upload.Results.Outcomes()) { } });
        foreach (var item in LocalFileEnumerator.Enumerate(dir.Path, true, false, new WildcardFilter(null, null), new KeyMapper(dir.Path, "outage/"), default))
            await upload.AddAsync(item);
        upload.CompleteAdding();
        var second = await upload.Completion;
        await reader;
        Assert.Equal(0, second.ItemsFailed);
        Assert.Equal(240, second.ItemsTransferred + second.ItemsSkipped);
        Assert.True(second.ItemsTransferred <= summary.ItemsFailed, "only what failed (or was never confirmed) is sent again");
        Assert.Equal(240, await AssertExactAsync("outage/", files));
    }

    [Fact]
    public async Task Prefix_copy_with_resets_503s_and_500s_copies_every_object_exactly()
    {
        var sources = new Dictionary<string, byte[]>();
        for (int i = 0; i < 200; i++)
        {
            sources[$"o{i:D3}"] = TempDir.Random(i % 100 == 0 ? 12 * MiB : 100 + i, 2000 + i);
            await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = $"copy-src/o{i:D3}", InputStream = new MemoryStream(sources[$"o{i:D3}"]) });
        }
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 13) { Rules = Flaky };
        var (copy, plan) = PrefixCopy.Start(ClientThrough(proxy), new CopyOptions
        {
            DestinationBucket = _s3.Bucket, DestinationPrefix = "copy-dst", Mode = TransferMode.Overwrite, MultipartCopyThreshold = 5 * MiB, PartSize = 5 * MiB, PageSize = 50,
        }, default);
        var results = new List<CopyResult>();
        var reader = Task.Run(async () => { await foreach (var r in copy.Results.Outcomes()) results.Add(r); });
        await copy.AddAllAsync(plan.PlanPrefixAsync(_s3.Bucket, "copy-src", default), default);
        copy.CompleteAdding();
        var summary = await copy.Completion;
        await reader;
        Assert.Equal(0, summary.ItemsFailed);
        Assert.Equal(200, summary.ItemsTransferred);
        Assert.True(proxy.InjectedTotal > 5);
        Assert.Equal(200, await AssertExactAsync("copy-dst/", sources));
    }

    [Fact]
    public async Task Upload_and_object_streams_survive_resets_and_errors_byte_exact()
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 14) { Rules = Flaky };
        var client = ClientThrough(proxy);
        var data = TempDir.Random(23 * MiB + 11, 77);
        await using (var upload = new S3UploadStream(client, new UploadStreamOptions { BucketName = _s3.Bucket, Key = "streams/up.bin", PartSize = 5 * MiB }))
            await TestStreams.WriteInChunksAsync(upload, data, 300_000);
        Assert.Equal(data, await _s3.GetBytesAsync("streams/up.bin"));
        Assert.Empty(await _s3.OpenUploadsAsync("streams/"));

        proxy.Rules = new[] { new FaultRule(FaultKind.ResetMidResponse, 0.3, Method: "GET") { AfterBytes = 200_000 }, new FaultRule(FaultKind.SlowDown503, 0.05) };
        await using var read = await S3ObjectStream.OpenAsync(client, new ObjectStreamOptions { BucketName = _s3.Bucket, Key = "streams/up.bin", MaxAttempts = 6 });
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, 100_000);
        Assert.Equal(data, copy.ToArray());
        Assert.True(proxy.Injected(FaultKind.ResetMidResponse) > 0, "some reads must have been cut off");
    }

    [Fact]
    public async Task An_upload_stream_whose_completion_answer_is_lost_reports_the_stored_object_as_its_own()
    {
        // Every CompleteMultipartUpload reaches the store, which completes the upload, but its answer is cut off.
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 31)
        {
            Rules = new[] { new FaultRule(FaultKind.ResetMidResponse, 1.0, Method: "POST", PathContains: "uploadId=") { AfterBytes = 0 } },
        };
        var data = TempDir.Random(12 * MiB + 5, 78);
        var upload = new S3UploadStream(ClientThrough(proxy, maxRetries: 2), new UploadStreamOptions { BucketName = _s3.Bucket, Key = "lost-answer/up.bin", PartSize = 5 * MiB });
        await TestStreams.WriteInChunksAsync(upload, data, MiB);
        var result = await upload.CompleteAsync();
        Assert.True(proxy.Injected(FaultKind.ResetMidResponse) > 0, "the completion's answer must have been cut off");
        Assert.Equal(3, result.Parts);
        Assert.Equal(data, await _s3.GetBytesAsync("lost-answer/up.bin"));
        Assert.Empty(await _s3.OpenUploadsAsync("lost-answer/"));
    }

    // ---- Suites 2-4 for Copy-S3Prefix and the two streams ----

    /// <summary>Objects under a source prefix, every tenth an 11 MiB multipart upload (past the 5 MiB multipart-copy
    /// threshold).</summary>
    async Task<Dictionary<string, byte[]>> SeedCopySourceAsync(string prefix, int count = 30)
    {
        var sources = new Dictionary<string, byte[]>();
        for (int i = 0; i < count; i++)
        {
            var name = $"o{i:D3}";
            bool large = i % 10 == 0;
            sources[name] = TempDir.Random(large ? 11 * MiB + i : 300 + i * 7, 5000 + i);
            if (!large) { await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = prefix + name, InputStream = new MemoryStream(sources[name]) }); continue; }
            // Multipart sources, as large objects are: the copy mirrors their parts, so Update recognises the copies.
            await using var upload = new S3UploadStream(_s3.S3, new UploadStreamOptions { BucketName = _s3.Bucket, Key = prefix + name, PartSize = 5 * MiB });
            await upload.WriteAsync(sources[name]);
        }
        return sources;
    }

    async Task<(TransferSummary Summary, List<CopyResult> Results)> CopyAsync(IAmazonS3 client, string sourcePrefix, string destinationPrefix,
        CancellationToken cancellationToken = default, int? maxConcurrency = null, TransferMode mode = TransferMode.Overwrite)
    {
        var (copy, plan) = PrefixCopy.Start(client, new CopyOptions
        {
            DestinationBucket = _s3.Bucket, DestinationPrefix = destinationPrefix, Mode = mode, MultipartCopyThreshold = 5 * MiB, PartSize = 5 * MiB,
            MaxConcurrency = maxConcurrency,
        }, cancellationToken);
        var results = new List<CopyResult>();
        var reader = Task.Run(async () => { await foreach (var r in copy.Results.Outcomes()) results.Add(r); });
        try { await copy.AddAllAsync(plan.PlanPrefixAsync(_s3.Bucket, sourcePrefix, cancellationToken), cancellationToken); }
        finally { copy.CompleteAdding(); }
        var summary = await copy.Completion;
        await reader;
        return (summary, results);
    }

    [Fact]
    public async Task A_five_second_503_storm_slows_a_prefix_copy_down_and_it_completes()
    {
        var sources = await SeedCopySourceAsync("storm-copy-src/", 150);
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 21) { Rules = new[] { new FaultRule(FaultKind.SlowDown503, 1.0) } };
        var run = CopyAsync(ClientThrough(proxy, maxRetries: 12), "storm-copy-src/", "storm-copy-dst/");
        await Task.Delay(TimeSpan.FromSeconds(5));
        proxy.Rules = Array.Empty<FaultRule>();
        var (summary, _) = await run;
        AssertBackedOffAndCompleted(summary);
        Assert.Equal(150, await AssertExactAsync("storm-copy-dst/", sources));
    }

    [Fact]
    public async Task Upload_and_object_streams_ride_out_a_503_storm()
    {
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 22) { Rules = new[] { new FaultRule(FaultKind.SlowDown503, 1.0) } };
        var client = ClientThrough(proxy, maxRetries: 12);
        var data = TempDir.Random(17 * MiB + 5, 78);
        var calm = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ => proxy.Rules = Array.Empty<FaultRule>());
        await using (var upload = new S3UploadStream(client, new UploadStreamOptions { BucketName = _s3.Bucket, Key = "storm-streams/up.bin", PartSize = 5 * MiB }))
            await TestStreams.WriteInChunksAsync(upload, data, MiB);
        await calm;
        Assert.True(proxy.Injected(FaultKind.SlowDown503) > 0, "the storm must have hit the upload");
        Assert.Equal(data, await _s3.GetBytesAsync("storm-streams/up.bin"));
        Assert.Empty(await _s3.OpenUploadsAsync("storm-streams/"));

        long before = proxy.Injected(FaultKind.SlowDown503);
        proxy.Rules = new[] { new FaultRule(FaultKind.SlowDown503, 1.0) };
        _ = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => proxy.Rules = Array.Empty<FaultRule>());
        await using var read = await S3ObjectStream.OpenAsync(client, new ObjectStreamOptions { BucketName = _s3.Bucket, Key = "storm-streams/up.bin", MaxAttempts = 6 });
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, 256 * 1024);
        Assert.True(proxy.Injected(FaultKind.SlowDown503) > before, "the storm must have hit the reads");
        Assert.Equal(data, copy.ToArray());
    }

    [Fact]
    public async Task Cancelling_a_prefix_copy_at_twenty_random_points_leaves_no_open_upload_and_no_object_that_differs()
    {
        var sources = await SeedCopySourceAsync("cancel-copy-src/");
        // A delaying proxy stretches the copy over about a second, so the cancellation points spread across it.
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 23) { Rules = new[] { new FaultRule(FaultKind.Delay, 1.0) { Delay = TimeSpan.FromMilliseconds(30) } } };
        int checkedObjects = 0, cancelled = 0;
        for (int seed = 1; seed <= 20; seed++)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(new Random(seed).Next(0, 1200)));
            try { await CopyAsync(ClientThrough(proxy), "cancel-copy-src/", $"cancel-copy/{seed}/", stop.Token, maxConcurrency: 4); }
            catch (OperationCanceledException) { cancelled++; }
            catch (S3TurboException ex) when (ex.Kind == FailureKind.Stopped) { cancelled++; }
            checkedObjects += await AssertExactAsync($"cancel-copy/{seed}/", sources, all: false);
        }
        Assert.True(cancelled > 0, "some runs must have been cancelled midway");
        Assert.True(checkedObjects > 0, "some runs must have got far enough to store objects");
    }

    [Fact]
    public async Task Cancelling_an_upload_stream_at_twenty_random_points_leaves_no_open_upload_and_no_partial_object()
    {
        var data = TempDir.Random(16 * MiB + 3, 79);
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 24) { Rules = new[] { new FaultRule(FaultKind.Delay, 1.0) { Delay = TimeSpan.FromMilliseconds(30) } } };
        int cancelled = 0, completed = 0;
        for (int seed = 1; seed <= 20; seed++)
        {
            string key = $"cancel-stream/{seed}.bin";
            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(new Random(seed).Next(0, 1000)));
            var upload = new S3UploadStream(ClientThrough(proxy), new UploadStreamOptions { BucketName = _s3.Bucket, Key = key, PartSize = 5 * MiB }, stop.Token);
            try
            {
                await TestStreams.WriteInChunksAsync(upload, data, MiB, stop.Token);
                await upload.DisposeAsync();
                completed++;
            }
            catch (Exception ex) when (ex is OperationCanceledException || ex is S3TurboException { Kind: FailureKind.Stopped })
            {
                cancelled++;
                try { await upload.DisposeAsync(); } catch (Exception) { /* disposing a cancelled stream aborts it; its error is the cancellation */ }
            }
            Assert.Empty(await _s3.OpenUploadsAsync(key));
            var listed = await _s3.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = key });
            if (listed.S3Objects is { Count: > 0 }) Assert.Equal(data, await _s3.GetBytesAsync(key)); // complete and exact, or absent
        }
        Assert.True(cancelled > 0, "some runs must have been cancelled midway");
        Assert.Equal(20, cancelled + completed);
    }

    [Fact]
    [Trait("Category", "LocalGateway")]
    public async Task A_prefix_copy_and_an_upload_stream_lose_nothing_when_the_gateway_goes_away()
    {
        var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../tools/s3-server-restart-gateway.sh"));
        Assert.True(File.Exists("/var/tmp/s3turbo-ceph/rootfs/ceph/run/client.rgw.a.pid"), "this test needs the local Ceph gateway started by tools/s3-server-start.sh");
        var sources = await SeedCopySourceAsync("outage-copy-src/", 200);
        var data = TempDir.Random(40 * MiB + 9, 80);
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 25) { Rules = new[] { new FaultRule(FaultKind.Delay, 1.0) { Delay = TimeSpan.FromMilliseconds(60) } } };
        var client = ClientThrough(proxy, maxRetries: 10);
        var copyRun = CopyAsync(client, "outage-copy-src/", "outage-copy-dst/", maxConcurrency: 4);
        var streamRun = Task.Run(async () =>
        {
            var upload = new S3UploadStream(client, new UploadStreamOptions { BucketName = _s3.Bucket, Key = "outage-stream/up.bin", PartSize = 5 * MiB, MaxPartsInFlight = 2 });
            try
            {
                await TestStreams.WriteInChunksAsync(upload, data, MiB);
                await upload.DisposeAsync();
                return (Exception?)null;
            }
            catch (Exception ex)
            {
                try { await upload.DisposeAsync(); } catch (Exception) { /* the first error is the one reported */ }
                return ex;
            }
        });
        await Task.Delay(700);
        var restart = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", script) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var (summary, results) = await copyRun;
        var streamError = await streamRun;
        await restart.WaitForExitAsync();
        Assert.Equal(0, restart.ExitCode);

        // The copy: every object accounted for, failures carry their error, nothing stored is wrong, nothing left open.
        Assert.Equal(200, results.Count);
        Assert.All(results.Where(r => r.Status == CopyStatus.Failed), r => Assert.NotNull(r.Error));
        await AssertExactAsync("outage-copy-dst/", sources, all: false);
        // The stream: either complete and exact, or reported failed and absent.
        Assert.Empty(await _s3.OpenUploadsAsync("outage-stream/"));
        var listed = await _s3.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = "outage-stream/" });
        if (streamError is null) Assert.Equal(data, await _s3.GetBytesAsync("outage-stream/up.bin"));
        else Assert.True(listed.S3Objects is null or { Count: 0 }, $"a failed stream ({streamError.Message}) must leave no object");

        // A second copy in Update mode finishes the job.
        proxy.Rules = Array.Empty<FaultRule>();
        var (second, _) = await CopyAsync(_s3.S3, "outage-copy-src/", "outage-copy-dst/", mode: TransferMode.Update);
        Assert.Equal(0, second.ItemsFailed);
        Assert.True(second.ItemsTransferred <= summary.ItemsFailed, "only what failed is copied again");
        Assert.Equal(200, await AssertExactAsync("outage-copy-dst/", sources));
    }
}
