using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class RequestLimiterTests
{
    [Fact]
    public async Task Holds_the_limit_and_releases_waiters_in_order()
    {
        var limiter = new RequestLimiter(2);
        var a = await limiter.AcquireAsync(default);
        var b = await limiter.AcquireAsync(default);
        var c = limiter.AcquireAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(c.IsCompleted);
        Assert.Equal(1, limiter.Waiting);
        a.Dispose();
        (await c.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        b.Dispose();
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public async Task Raising_the_limit_releases_waiters_and_lowering_waits_for_requests_to_finish()
    {
        var limiter = new RequestLimiter(1);
        var first = await limiter.AcquireAsync(default);
        var second = limiter.AcquireAsync(default).AsTask();
        limiter.SetLimit(2);
        var secondLease = await second.WaitAsync(TimeSpan.FromSeconds(5));
        limiter.SetLimit(1);
        first.Dispose();
        var third = limiter.AcquireAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(third.IsCompleted); // still one in flight at limit 1
        secondLease.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_up_its_place()
    {
        var limiter = new RequestLimiter(1);
        var held = await limiter.AcquireAsync(default);
        using var cts = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, limiter.Waiting);
        held.Dispose();
        Assert.Equal(0, limiter.InFlight);
    }
}
