namespace S3Turbo.Engine.Transfer;

/// <summary>Finds the request concurrency where throughput stops growing, and backs off on throttling.
/// Pure logic (no clock, no threads): the caller feeds one observation per interval, so tests can drive it.
///
/// Policy (hill-climbing with multiplicative decrease, like TCP's AIMD but probing upwards in steps):
/// - a throttled interval (503 SlowDown etc.) cuts the limit to 2/3 and remembers a ceiling just below;
/// - an unsaturated interval (fewer requests wanted than allowed) changes nothing: more slots would not help;
/// - otherwise, if throughput grew by more than <see cref="GainThreshold"/> since the last step up, step up
///   again (×2 while still in slow start, as TCP does, so short runs reach a good level within a second or two;
///   ×1.5 after that); if it did not, settle back to the best-known level and only re-probe after a quiet while.</summary>
public sealed class AdaptiveConcurrencyController
{
    public const double GainThreshold = 0.08;
    readonly int _min;
    readonly int _max;
    double _bestThroughput;
    int _bestLimit;
    int _ceiling;
    int _intervalsSinceChange;
    bool _probing = true;
    bool _slowStart = true;

    public AdaptiveConcurrencyController(int initial, int min, int max)
    {
        if (min < 1 || max < min) throw new ArgumentOutOfRangeException(nameof(max), "Requires 1 ≤ min ≤ max.");
        _min = min; _max = max;
        Limit = Math.Clamp(initial, min, max);
        _bestLimit = Limit;
        _ceiling = max;
    }

    public int Limit { get; private set; }
    /// <summary>The highest limit used so far (reported in summaries).</summary>
    public int PeakLimit { get; private set; }
    public int Throttles { get; private set; }

    /// <param name="throughput">work done in the interval (e.g. bytes plus a per-request overhead, per second)</param>
    /// <param name="throttled">the store answered SlowDown/503 at least once in the interval</param>
    /// <param name="saturated">requests waited for a slot during the interval</param>
    public int Observe(double throughput, bool throttled, bool saturated)
    {
        PeakLimit = Math.Max(PeakLimit, Limit);
        _intervalsSinceChange++;
        if (throttled)
        {
            Throttles++;
            _slowStart = false;
            _ceiling = Math.Max(_min, Limit - 1);
            return Change(Math.Max(_min, Limit * 2 / 3), probing: false, resetBest: true);
        }
        if (!saturated) return Limit;
        if (throughput > _bestThroughput * (1 + GainThreshold))
        {
            _bestThroughput = throughput;
            _bestLimit = Limit;
            if (_probing && Limit < _ceiling) return Change(Math.Min(_ceiling, Math.Max(Limit + 1, _slowStart ? Limit * 2 : Limit * 3 / 2)), probing: true);
            return Limit;
        }
        _slowStart = false;
        if (_probing && Limit > _bestLimit)
        {
            // The last step up did not pay: settle back to the best level seen.
            return Change(_bestLimit, probing: false);
        }
        if (_probing && Limit == _bestLimit && _intervalsSinceChange >= 2 && Limit < _ceiling)
            return Change(Math.Min(_ceiling, Math.Max(Limit + 1, Limit * 3 / 2)), probing: true);
        if (!_probing && _intervalsSinceChange >= 20)
        {
            // Conditions drift (other clients, recovered throttling): re-probe from time to time.
            _ceiling = _max;
            _bestThroughput = throughput;
            return Change(Math.Min(_ceiling, Math.Max(Limit + 1, Limit * 5 / 4)), probing: true);
        }
        return Limit;
    }

    int Change(int limit, bool probing, bool resetBest = false)
    {
        _probing = probing;
        _intervalsSinceChange = 0;
        if (resetBest) { _bestThroughput = 0; _bestLimit = limit; }
        Limit = Math.Clamp(limit, _min, _max);
        PeakLimit = Math.Max(PeakLimit, Limit);
        return Limit;
    }
}
