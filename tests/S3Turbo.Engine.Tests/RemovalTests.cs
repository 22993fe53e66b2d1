using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Remove;

namespace S3Turbo.Engine.Tests;

/// <summary>PrefixRemoval against the real server, through the fault proxy, which counts the DeleteObjects
/// requests independently of what the run reports about itself.</summary>
public class RemovalTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public RemovalTests(BucketFixture s3) => _s3 = s3;

    static IAmazonS3 ClientThrough(FaultProxy proxy) => TestS3.ClientThrough(proxy);

    async Task SeedAsync(string prefix, int count)
    {
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try { await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = $"{prefix}{i:D5}", ContentBody = new string('x', i % 50) }); }
            finally { gate.Release(); }
        }));
    }

    async Task<int> CountAsync(string prefix)
    {
        int count = 0;
        using var budget = new RequestBudget(_s3.S3, 8);
        await foreach (var _ in ObjectLister.ListAsync(budget, _s3.Bucket, prefix)) count++;
        return count;
    }

    static async Task<(TransferSummary Summary, List<RemoveResult> Results)> RemoveAsync(IAmazonS3 s3, RemoveOptions options, string bucket, string prefix)
    {
        var (engine, removal) = PrefixRemoval.Start(s3, options, default);
        using var _ = engine;
        var results = new List<RemoveResult>();
        var reader = Task.Run(async () => { await foreach (var r in engine.Results.Outcomes()) results.Add(r); });
        await engine.AddAllAsync(removal.PlanPrefixAsync(bucket, prefix, default), default);
        engine.CompleteAdding();
        var summary = await engine.Completion;
        await reader;
        return (summary, results);
    }

    /// <summary>An XML body cannot carry control characters (ESC cannot be written at all; a parser reads CR as LF),
    /// so keys holding them are removed one at a time, by the exact key, and a neighbour that differs by CR/LF stays.</summary>
    [Fact]
    public async Task Keys_with_control_characters_are_removed_exactly_and_their_neighbours_kept()
    {
        var keys = new[] { "ctl/red\u001b[31m.txt", "ctl/a\rb", "ctl/tab\there", "ctl/plain.txt" };
        foreach (var key in keys.Append("ctl-keep/a\nb").Append("ctl-keep/a\rb-other"))
            await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, ContentBody = "x" });
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = "ctl/a\nb", ContentBody = "keep me" });
        var (engine, removal) = PrefixRemoval.Start(_s3.S3, new RemoveOptions(), default);
        using var _ = engine;
        var results = new List<RemoveResult>();
        var reader = Task.Run(async () => { await foreach (var r in engine.Results.Outcomes()) results.Add(r); });
        await engine.AddAsync(removal.Batch(_s3.Bucket, keys.Select(k => new RemovalKey(k, null, 1, false)).ToList()));
        engine.CompleteAdding();
        var summary = await engine.Completion;
        await reader;
        Assert.Equal(4, summary.ItemsTransferred);
        Assert.All(results, r => Assert.Equal(RemoveStatus.Deleted, r.Status));
        foreach (var key in keys) Assert.False(await _s3.ExistsAsync(key), key);
        Assert.True(await _s3.ExistsAsync("ctl/a\nb"), "a key that differs by LF for CR must stay");
        Assert.True(await _s3.ExistsAsync("ctl-keep/a\nb"));
    }

    [Fact]
    public async Task Two_thousand_one_hundred_keys_go_in_three_DeleteObjects_requests_and_a_dry_run_sends_none()
    {
        await SeedAsync("count/", 2100);
        await using var proxy = new FaultProxy(TestS3.Endpoint);
        var s3 = ClientThrough(proxy);

        var (dry, wouldGo) = await RemoveAsync(s3, new RemoveOptions { WhatIf = true }, _s3.Bucket, "count");
        Assert.Equal(2100, wouldGo.Count(r => r.Status == RemoveStatus.WouldDelete));
        Assert.Equal(0, proxy.RequestsMatching("POST", "?delete"));
        Assert.Equal(2100, await CountAsync("count/"));

        var (summary, results) = await RemoveAsync(s3, new RemoveOptions(), _s3.Bucket, "count");
        Assert.Equal(3, proxy.RequestsMatching("POST", "?delete"));
        Assert.Equal(3, summary.RequestsByOperation["DeleteObjects"]);
        Assert.Equal(2100, summary.ItemsTransferred);
        Assert.Equal(2100, results.Select(r => r.Key).Distinct().Count());
        Assert.Equal(results.Sum(r => r.Size), summary.BytesTransferred);
        Assert.Equal(0, await CountAsync("count/"));
    }

    [Fact]
    public async Task Batches_the_store_throttles_are_retried_until_every_key_is_gone()
    {
        await SeedAsync("throttled/", 1200);
        await using var proxy = new FaultProxy(TestS3.Endpoint, seed: 7)
        {
            Rules = new[] { new FaultRule(FaultKind.SlowDown503, 0.5, "POST", "?delete") },
        };
        var (summary, results) = await RemoveAsync(ClientThrough(proxy), new RemoveOptions { BatchSize = 100 }, _s3.Bucket, "throttled/");
        Assert.True(proxy.Injected(FaultKind.SlowDown503) > 0, "the proxy must have throttled some batches");
        Assert.Equal(0, summary.ItemsFailed);
        Assert.Equal(1200, summary.ItemsTransferred);
        Assert.True(summary.Retries > 0, "the throttled batches were retried");
        Assert.All(results, r => Assert.Equal(RemoveStatus.Deleted, r.Status));
        Assert.Equal(0, await CountAsync("throttled/"));
    }

    [Fact]
    public async Task A_bad_batch_size_is_named_before_anything_is_listed()
    {
        var error = Assert.Throws<S3TurboException>(() => PrefixRemoval.Start(_s3.S3, new RemoveOptions { BatchSize = 1001 }, default));
        Assert.Equal(ErrorIds.InvalidBatchSize, error.ErrorId);
        Assert.Contains("-BatchSize 1001", error.Message);
    }
}
