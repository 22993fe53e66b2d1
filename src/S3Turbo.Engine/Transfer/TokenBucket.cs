namespace S3Turbo.Engine.Transfer;

/// <summary>A rate cap on a <see cref="TimeProvider"/>: tokens accrue at <c>rate</c> a second, up to <c>burst</c>;
/// <see cref="TakeAsync"/> takes what a request costs (1 for a request, its bytes for a byte cap) and waits while the
/// bucket is in debt. Taking more than is there is allowed and paid back by waiting, so a part larger than the burst
/// still goes, and the rate holds over any window of a second or more. Hand-written because the BCL's token bucket
/// refills on its own timer, which a test's clock cannot drive, and refuses a request larger than its bucket.</summary>
public sealed class TokenBucket
{
    readonly TimeProvider _time;
    readonly double _rate;
    readonly double _burst;
    readonly SemaphoreSlim _turn = new(1, 1); // one taker waits off the debt at a time; the others queue behind it
    double _tokens;
    long _stamp;

    /// <param name="rate">Tokens per second.</param>
    /// <param name="burst">The most tokens held (what may go at once after a pause).</param>
    /// <param name="time">The clock.</param>
    public TokenBucket(double rate, double burst, TimeProvider time)
    {
        if (rate <= 0) throw new ArgumentOutOfRangeException(nameof(rate), "The rate must be positive.");
        _rate = rate; _burst = Math.Max(burst, 1); _time = time;
        _tokens = _burst;
        _stamp = time.GetTimestamp();
    }

    public double Rate => _rate;

    /// <summary>Takes <paramref name="amount"/> tokens, waiting until the bucket is out of debt.</summary>
    public async ValueTask TakeAsync(double amount, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Refill();
            _tokens -= amount;
            while (_tokens < 0)
            {
                // At least a millisecond: a debt smaller than a tick (floating-point dust) would be waited off with
                // Task.Delay(0), which ends at once without the clock moving, so a clock that does not move on its own
                // (a test's) was spun on forever (CI of 2026-12-07 hung here).
                long ticks = (long)Math.Ceiling(-_tokens / _rate * TimeSpan.TicksPerSecond);
                await Task.Delay(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, ticks)), _time, cancellationToken).ConfigureAwait(false);
                Refill();
            }
        }
        finally { _turn.Release(); }
    }

    void Refill()
    {
        long now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + _time.GetElapsedTime(_stamp, now).TotalSeconds * _rate);
        _stamp = now;
    }
}
