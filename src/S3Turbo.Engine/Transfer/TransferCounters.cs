
namespace S3Turbo.Engine.Transfer;

/// <summary>Thread-safe running totals for progress snapshots and the summary.</summary>
public sealed class TransferCounters
{
    long _itemsDiscovered, _bytesDiscovered, _itemsCompleted, _itemsSkipped, _itemsFailed, _itemsTransferred, _bytesCompleted, _bytesTransferred;
    volatile bool _inputComplete;

    public bool InputComplete { get => _inputComplete; set => _inputComplete = value; }

    public void Discovered(int items, long bytes)
    {
        Interlocked.Add(ref _itemsDiscovered, items);
        Interlocked.Add(ref _bytesDiscovered, bytes);
    }

    public void Completed(OutcomeKind outcome, long size)
    {
        Interlocked.Increment(ref _itemsCompleted);
        switch (outcome)
        {
            case OutcomeKind.Failed: Interlocked.Increment(ref _itemsFailed); break;
            case OutcomeKind.Skipped: Interlocked.Increment(ref _itemsSkipped); Interlocked.Add(ref _bytesCompleted, size); break;
            default:
                Interlocked.Increment(ref _itemsTransferred);
                Interlocked.Add(ref _bytesCompleted, size);
                Interlocked.Add(ref _bytesTransferred, size);
                break;
        }
    }

    public TransferProgress Snapshot(string operation, TimeSpan elapsed, RequestBudget scheduler)
    {
        long bytesDone = Interlocked.Read(ref _bytesCompleted), bytesTotal = Interlocked.Read(ref _bytesDiscovered);
        long itemsDone = Interlocked.Read(ref _itemsCompleted), itemsTotal = Interlocked.Read(ref _itemsDiscovered);
        double seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        double bytesPerSecond = bytesDone / seconds, itemsPerSecond = itemsDone / seconds;
        TimeSpan? remaining = null;
        if (_inputComplete && itemsDone > 0)
        {
            double byBytes = bytesPerSecond > 0 ? (bytesTotal - bytesDone) / bytesPerSecond : 0;
            double byItems = itemsPerSecond > 0 ? (itemsTotal - itemsDone) / itemsPerSecond : 0;
            remaining = TimeSpan.FromSeconds(Math.Max(byBytes, byItems));
        }
        return new TransferProgress
        {
            Operation = operation, ItemsCompleted = itemsDone, ItemsDiscovered = itemsTotal,
            ItemsFailed = Interlocked.Read(ref _itemsFailed), ItemsSkipped = Interlocked.Read(ref _itemsSkipped),
            BytesCompleted = bytesDone, BytesDiscovered = bytesTotal, InputComplete = _inputComplete,
            BytesPerSecond = bytesPerSecond, ItemsPerSecond = itemsPerSecond, Concurrency = scheduler.Concurrency,
            RequestsInFlight = scheduler.InFlight, Elapsed = elapsed, Remaining = remaining,
        };
    }

    public TransferSummary Summary(string operation, TimeSpan elapsed, RequestBudget scheduler, bool whatIf) => new()
    {
        Operation = operation, ItemsTransferred = Interlocked.Read(ref _itemsTransferred), BytesTransferred = Interlocked.Read(ref _bytesTransferred),
        ItemsSkipped = Interlocked.Read(ref _itemsSkipped), ItemsFailed = Interlocked.Read(ref _itemsFailed), Elapsed = elapsed,
        Concurrency = scheduler.Concurrency, PeakConcurrency = scheduler.PeakConcurrency, ThrottleEvents = scheduler.ThrottleEvents,
        Retries = scheduler.Retries, RequestsByOperation = scheduler.RequestCounts, WhatIf = whatIf, MaxBytesPerSecond = scheduler.MaxBytesPerSecond,
    };

    /// <summary>Items discovered that have no outcome (a run stopped early).</summary>
    public long ItemsWithoutOutcome => Interlocked.Read(ref _itemsDiscovered) - Interlocked.Read(ref _itemsCompleted);
}
