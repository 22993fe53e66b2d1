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
        Assert.False(c.IsCompleted); // a waiter completes only when a slot is released
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

/// <summary>The request-rate cap on a fake clock: nothing here waits for real time to pass.</summary>
public class RateCapTests
{
    [Fact]
    public async Task A_request_rate_cap_holds_over_each_second_of_the_clock()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var budget = new RequestBudget(TestS3.Client(), fixedConcurrency: 32, maxRequestsPerSecond: 20, timeProvider: clock);
        var started = System.Threading.Channels.Channel.CreateUnbounded<int>();
        var requests = Enumerable.Range(0, 50).Select(i => budget.RunAsync(_ => { started.Writer.TryWrite(i); return Task.FromResult(0); }, 0, default)).ToArray();
        // A tenth of a second's worth (2) may go at once; then at most 20 per second of the clock. The clock moves in
        // steps of 10 ms, each once the starts it released have been seen (or a moment has passed in which a waiter
        // may only now be setting its timer), so the count is checked at every step, never by timing.
        await started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(started.Reader.TryRead(out _), "only the burst goes before the clock moves");
        int count = 2;
        var elapsed = TimeSpan.Zero;
        while (count < 50)
        {
            Assert.True(elapsed < TimeSpan.FromSeconds(10), $"{count} of 50 requests after {elapsed.TotalSeconds:F2} s of the clock");
            clock.Advance(TimeSpan.FromMilliseconds(10));
            elapsed += TimeSpan.FromMilliseconds(10);
            try { await started.Reader.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromMilliseconds(20)); } catch (TimeoutException) { }
            while (started.Reader.TryRead(out _)) count++;
            Assert.True(count <= 2 + 20 * elapsed.TotalSeconds + 1e-9, $"{count} requests within {elapsed.TotalSeconds:F2} s of the clock exceed 20/s");
        }
        await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(started.Reader.TryRead(out _), "exactly 50 requests");
    }

    [Fact]
    public async Task A_byte_cap_lets_a_request_larger_than_its_burst_through_and_waits_off_the_debt()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var bucket = new TokenBucket(rate: 1000, burst: 100, clock);
        await bucket.TakeAsync(100, default).AsTask().WaitAsync(TimeSpan.FromSeconds(10)); // the burst
        var large = bucket.TakeAsync(5000, default).AsTask();
        Assert.False(large.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(4.9));
        await Task.Yield();
        Assert.False(large.IsCompleted, "5,000 tokens at 1,000/s take 5 s of the clock");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        await large.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_debt_smaller_than_a_tick_is_waited_off_on_the_clock_not_spun_on()
    {
        // Floating-point dust (1e-12 of a token at 1,000/s is 1e-15 s, no tick at all) once made the wait a Task.Delay(0)
        // that ended at once with the clock unmoved, so the loop spun forever on a clock that moves only when told.
        var clock = new CountingClock();
        var bucket = new TokenBucket(rate: 1000, burst: 1, clock);
        await bucket.TakeAsync(1, default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var dust = Task.Run(() => bucket.TakeAsync(1e-12, default).AsTask());
        await Task.Delay(200);
        Assert.False(dust.IsCompleted, "the debt is paid on the clock");
        Assert.True(clock.Reads < 100, $"the clock was read {clock.Reads:N0} times while nothing moved it: a spin");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await dust.WaitAsync(TimeSpan.FromSeconds(10));
    }

    sealed class CountingClock : Microsoft.Extensions.Time.Testing.FakeTimeProvider
    {
        long _reads;
        public long Reads => Interlocked.Read(ref _reads);
        public override long GetTimestamp() { Interlocked.Increment(ref _reads); return base.GetTimestamp(); }
    }

    [Fact]
    public void A_rate_of_zero_is_rejected_naming_the_parameter()
    {
        var ex = Assert.Throws<S3TurboException>(() => new RequestBudget(TestS3.Client(), 4, maxRequestsPerSecond: 0));
        Assert.Equal(ErrorIds.InvalidRequestRate, ex.ErrorId);
        Assert.Contains("-MaxRequestsPerSecond", ex.Message);
    }
}
