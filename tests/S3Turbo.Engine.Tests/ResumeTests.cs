using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Copy;
using S3Turbo.Engine.Download;
using S3Turbo.Engine.Remove;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>Work that outlives its run, against the real server: a run stopped midway with leave to resume (as a
/// time limit does; a killed process leaves the same, see tests/Pester/Resume.Tests.ps1) leaves its multipart upload
/// and its partial download, and the next run finishes them from what is there, proven part by part, sending or
/// receiving only the rest (counted at a proxy); changed files and objects start over and are never mixed; a time
/// limit stops a run that the next one completes exactly; -IncompleteUploads aborts exactly the uploads under its prefix.</summary>
public class ResumeTests : IClassFixture<BucketFixture>, IDisposable
{
    const int MiB = 1024 * 1024;
    readonly BucketFixture _s3;
    readonly TempDir _dir = new();

    public ResumeTests(BucketFixture s3) => _s3 = s3;
    public void Dispose() => _dir.Dispose();

    UploadOptions Upload(string prefix, long partSize = 5 * MiB, bool resumable = true) => new()
    {
        BucketName = _s3.Bucket, KeyPrefix = prefix, MultipartThreshold = 5 * MiB, PartSize = partSize, MaxConcurrency = 2, KeepResumable = resumable,
    };

    async Task<int> StoredPartsAsync(string key)
    {
        var upload = (await _s3.OpenUploadsAsync(key)).FirstOrDefault(u => u.Key == key);
        if (upload is null) return 0;
        try { return (await _s3.S3.ListPartsAsync(new ListPartsRequest { BucketName = _s3.Bucket, Key = key, UploadId = upload.UploadId })).Parts?.Count ?? 0; }
        catch (AmazonS3Exception) { return 0; } // completed or aborted meanwhile
    }

    /// <summary>Runs <paramref name="run"/> and stops it once <paramref name="enough"/> is true (checked every 20 ms):
    /// the stop lands wherever the run is, inside a part or between two.</summary>
    static async Task StopWhenAsync(Func<CancellationToken, Task> run, Func<Task<bool>> enough)
    {
        using var stop = new CancellationTokenSource();
        var running = run(stop.Token);
        while (!running.IsCompleted && !await enough()) await Task.Delay(20);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_stopped_upload_is_resumed_from_its_proven_parts_and_sends_only_the_rest(int seed)
    {
        var random = new Random(seed);
        int size = 40 * MiB + random.Next(1, MiB);
        var data = TempDir.Random(size, seed);
        var prefix = $"resume-up-{seed}";
        _dir.Write($"{prefix}/big.bin", data);
        var key = $"{prefix}/big.bin";
        int partCount = (size + 5 * MiB - 1) / (5 * MiB);
        int stopAfter = partCount / 2 + random.Next(0, partCount / 2 - 1); // at least half the parts stored
        await StopWhenAsync(ct => Runs.UploadAsync(_s3.S3, Upload(prefix), Runs.Tree(Path.Combine(_dir.Path, prefix), prefix), ct),
            async () => await StoredPartsAsync(key) >= stopAfter);
        Assert.Single(await _s3.OpenUploadsAsync(key)); // left for the next run
        Assert.False(await _s3.ExistsAsync(key));

        await using var proxy = new FaultProxy(TestS3.Endpoint);
        var (summary, results) = await Runs.UploadAsync(TestS3.ClientThrough(proxy), Upload(prefix), Runs.Tree(Path.Combine(_dir.Path, prefix), prefix));
        var result = Assert.Single(results);
        Assert.Equal(UploadStatus.Uploaded, result.Status);
        Assert.StartsWith("resumed: ", result.Reason);
        Assert.True(proxy.BytesToServer <= 0.55 * size, $"the second run sent {proxy.BytesToServer:N0} of {size:N0} bytes ({result.Reason})");
        Assert.Equal(data, await _s3.GetBytesAsync(key));
        Assert.Empty(await _s3.OpenUploadsAsync(prefix));
        if (await _s3.StoreKeepsMultipartChecksumsAsync())
            Assert.Equal(new StoredChecksum(ChecksumAlgorithm.CRC64NVME, RunningChecksum.Of(ChecksumAlgorithm.CRC64NVME, data), false, 0), await _s3.StoredChecksumAsync(key));
    }

    [Theory]
    [InlineData("changed")]
    [InlineData("other part size")]
    public async Task An_upload_whose_parts_do_not_fit_the_file_is_aborted_and_the_file_sent_whole(string change)
    {
        int size = 30 * MiB + 7;
        var data = TempDir.Random(size, 11);
        var prefix = $"resume-misfit-{change.Replace(' ', '-')}";
        var path = _dir.Write($"{prefix}/big.bin", data);
        var key = $"{prefix}/big.bin";
        await StopWhenAsync(ct => Runs.UploadAsync(_s3.S3, Upload(prefix), Runs.Tree(Path.Combine(_dir.Path, prefix), prefix), ct),
            async () => await StoredPartsAsync(key) >= 3);
        long partSize = 5 * MiB;
        if (change == "changed") { data[100] ^= 0xFF; File.WriteAllBytes(path, data); } // inside part 1, which is stored
        else partSize = 6 * MiB;
        var (_, results) = await Runs.UploadAsync(_s3.S3, Upload(prefix, partSize), Runs.Tree(Path.Combine(_dir.Path, prefix), prefix));
        var result = Assert.Single(results);
        Assert.Equal(UploadStatus.Uploaded, result.Status);
        Assert.StartsWith("sent whole: the incomplete upload an earlier run left was aborted", result.Reason);
        Assert.Contains(change == "changed" ? "is not the file's bytes" : "bytes where this run's has", result.Reason);
        Assert.Equal(data, await _s3.GetBytesAsync(key));
        Assert.Empty(await _s3.OpenUploadsAsync(prefix));
    }

    [Fact]
    public async Task Without_leave_to_resume_a_stop_aborts_the_upload_as_before()
    {
        var prefix = "resume-not";
        _dir.Write($"{prefix}/big.bin", TempDir.Random(30 * MiB, 12));
        var key = $"{prefix}/big.bin";
        await StopWhenAsync(ct => Runs.UploadAsync(_s3.S3, Upload(prefix, resumable: false), Runs.Tree(Path.Combine(_dir.Path, prefix), prefix), ct),
            async () => await StoredPartsAsync(key) >= 2);
        Assert.Empty(await _s3.OpenUploadsAsync(prefix));
    }

    DownloadOptions Download(string into, bool resumable = true) => new()
    {
        Destination = into, MultipartThreshold = 5 * MiB, PartSize = 5 * MiB, MaxConcurrency = 2, KeepResumable = resumable,
    };

    static int JournalRanges(string directory) =>
        Directory.GetFiles(directory, ".s3turbo-*.journal").Sum(f => Math.Max(0, File.ReadAllLines(f).Length - 1));

    static string[] Leftovers(string directory) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory, ".s3turbo-*", SearchOption.AllDirectories) : Array.Empty<string>();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_stopped_download_is_resumed_from_its_proven_ranges_and_receives_only_the_rest(int seed)
    {
        var random = new Random(seed);
        int size = 40 * MiB + random.Next(1, MiB);
        var data = TempDir.Random(size, 20 + seed);
        var prefix = $"resume-down-{seed}";
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = $"{prefix}/big.bin", InputStream = new MemoryStream(data) });
        var into = Path.Combine(_dir.Path, $"down-{seed}");
        int ranges = (size + 5 * MiB - 1) / (5 * MiB);
        int stopAfter = ranges / 2 + random.Next(0, ranges / 2 - 1);
        await StopWhenAsync(ct => Runs.DownloadAsync(_s3.S3, Download(into), _s3.Bucket, prefix + "/", ct),
            () => Task.FromResult(Directory.Exists(into) && JournalRanges(into) >= stopAfter));
        Assert.Equal(2, Leftovers(into).Length); // the temporary file and its journal, for the next run
        Assert.False(File.Exists(Path.Combine(into, "big.bin")));

        await using var proxy = new FaultProxy(TestS3.Endpoint);
        var (summary, results) = await Runs.DownloadAsync(TestS3.ClientThrough(proxy), Download(into), _s3.Bucket, prefix + "/");
        var result = Assert.Single(results);
        Assert.True(result.Status == DownloadStatus.Downloaded, result.Reason);
        Assert.StartsWith("resumed: ", result.Reason);
        Assert.True(proxy.BytesToClient <= 0.55 * size, $"the second run received {proxy.BytesToClient:N0} of {size:N0} bytes ({result.Reason})");
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(into, "big.bin")));
        Assert.Empty(Leftovers(into));
    }

    [Fact]
    public async Task An_object_changed_since_the_stopped_run_is_downloaded_whole_never_mixed()
    {
        int size = 30 * MiB;
        var prefix = "resume-changed-object";
        var key = $"{prefix}/big.bin";
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, InputStream = new MemoryStream(TempDir.Random(size, 31)) });
        var into = Path.Combine(_dir.Path, "changed");
        await StopWhenAsync(ct => Runs.DownloadAsync(_s3.S3, Download(into), _s3.Bucket, prefix + "/", ct),
            () => Task.FromResult(Directory.Exists(into) && JournalRanges(into) >= 3));
        var changed = TempDir.Random(size, 32); // same size, other bytes, another ETag
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, InputStream = new MemoryStream(changed) });
        var (_, results) = await Runs.DownloadAsync(_s3.S3, Download(into), _s3.Bucket, prefix + "/");
        var result = Assert.Single(results);
        Assert.True(result.Status == DownloadStatus.Downloaded, result.Reason);
        Assert.Null(result.Reason);
        Assert.Equal(changed, await File.ReadAllBytesAsync(Path.Combine(into, "big.bin")));
        Assert.Empty(Leftovers(into));
    }

    [Fact]
    public async Task Without_leave_to_resume_a_stopped_download_leaves_nothing_and_dead_runs_leftovers_are_swept()
    {
        var prefix = "resume-sweep";
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = $"{prefix}/big.bin", InputStream = new MemoryStream(TempDir.Random(30 * MiB, 41)) });
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = $"{prefix}/small.txt", ContentBody = "small" });
        var into = Path.Combine(_dir.Path, "sweep");
        await StopWhenAsync(ct => Runs.DownloadAsync(_s3.S3, Download(into, resumable: false), _s3.Bucket, prefix + "/", ct),
            () => Task.FromResult(Directory.Exists(into) && JournalRanges(into) >= 2));
        Assert.Empty(Leftovers(into));

        // What a killed run left for an object no longer there: removed by the next complete run over the directory.
        var stale = Path.Combine(into, ".s3turbo-0123456789abcdef.partial");
        File.WriteAllBytes(stale, new byte[10]);
        File.WriteAllText(Path.ChangeExtension(stale, ".journal"), "s3turbo-download 1\t\"gone\"\t10\n");
        foreach (var f in Leftovers(into)) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(-5));
        var (summary, _) = await Runs.DownloadAsync(_s3.S3, Download(into), _s3.Bucket, prefix + "/");
        Assert.Equal(2, summary.ItemsTransferred + summary.ItemsSkipped);
        Assert.True(File.Exists(Path.Combine(into, "big.bin")));
        Assert.Empty(Leftovers(into));
    }

    [Fact]
    public async Task A_copy_stopped_by_its_time_limit_is_completed_exactly_by_the_next_run()
    {
        var prefix = "limit-src";
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = $"{prefix}/o{i:D4}", ContentBody = $"object {i}" }, ct));
        CopyOptions Copy() => new() { DestinationBucket = _s3.Bucket, DestinationPrefix = "limit-dst", MaxRequestsPerSecond = 60, TimeLimit = TimeSpan.FromSeconds(2) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (first, firstResults) = await Runs.CopyAsync(_s3.S3, Copy(), _s3.Bucket, prefix + "/");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the run took {clock.Elapsed.TotalSeconds:F1} s with a 2 s limit");
        Assert.True(first.Incomplete);
        Assert.Equal("TimeLimit", first.StopReason);
        Assert.InRange(first.ItemsTransferred, 1, 299);
        Assert.Equal(0, first.ItemsFailed);

        var (second, secondResults) = await Runs.CopyAsync(_s3.S3, new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "limit-dst" }, _s3.Bucket, prefix + "/");
        Assert.False(second.Incomplete);
        // The rest, each once: a copy the store made as the limit stopped its request (its result lost) is found
        // there and skipped, never copied twice.
        Assert.Equal(300, second.ItemsTransferred + second.ItemsSkipped);
        Assert.InRange(second.ItemsTransferred, 300 - first.ItemsTransferred - 8, 300 - first.ItemsTransferred);
        var copied = firstResults.Where(r => r.Status == CopyStatus.Copied).Select(r => r.DestinationKey)
            .Concat(secondResults.Where(r => r.Status == CopyStatus.Copied).Select(r => r.DestinationKey)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(copied.Distinct().Count(), copied.Count); // none copied by both runs
        Assert.Equal(300, (await _s3.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _s3.Bucket, Prefix = "limit-dst/" })).S3Objects.Count);
        foreach (var i in new[] { 0, 150, 299 })
            Assert.Equal($"object {i}", System.Text.Encoding.UTF8.GetString(await _s3.GetBytesAsync($"limit-dst/o{i:D4}")));
    }

    [Fact]
    public async Task Incomplete_uploads_are_aborted_exactly_under_their_prefix_and_by_age()
    {
        var keys = new[] { "inc/a/1.bin", "inc/a/2.bin", "inc/a/deep/3.bin", "inc/b/4.bin" };
        foreach (var key in keys) await _s3.S3.InitiateMultipartUploadAsync(_s3.Bucket, key);
        var (young, youngResults) = await Runs.RunAsync(Removal(out var removal), ct => removal.Engine.AddAllAsync(removal.Removal.PlanIncompleteUploadsAsync(_s3.Bucket, "inc/a", TimeSpan.FromHours(1), ct), ct));
        Assert.Equal(0, young.ItemsTransferred); // none begun more than an hour ago
        var (summary, results) = await Runs.RunAsync(Removal(out removal), ct => removal.Engine.AddAllAsync(removal.Removal.PlanIncompleteUploadsAsync(_s3.Bucket, "inc/a", null, ct), ct));
        Assert.Equal(3, summary.ItemsTransferred);
        Assert.Equal(new[] { "inc/a/1.bin", "inc/a/2.bin", "inc/a/deep/3.bin" }, results.Select(r => r.Key).OrderBy(k => k, StringComparer.Ordinal));
        Assert.All(results, r => Assert.NotNull(r.UploadId));
        Assert.Equal(new[] { "inc/b/4.bin" }, (await _s3.OpenUploadsAsync("inc/")).Select(u => u.Key));
    }

    TransferEngine<RemovalBatch, NoPart, RemoveResult> Removal(out (TransferEngine<RemovalBatch, NoPart, RemoveResult> Engine, PrefixRemoval Removal) started)
    {
        started = PrefixRemoval.Start(_s3.S3, new RemoveOptions(), default);
        return started.Engine;
    }
}
