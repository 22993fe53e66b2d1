namespace S3Turbo.Engine.Transfer;

/// <summary>One unit of work of a bulk operation (a file, an object, an archive). Planning may already know that
/// it cannot be done: then it carries the failure and is reported in order with the rest, never dropped.</summary>
public abstract class TransferItem
{
    public S3TurboException? Failure { get; init; }
}

/// <summary>What a bulk operation does with one item; the <see cref="TransferEngine{TItem,TResult}"/> owns everything
/// else (queues, workers, the request budget, counting, the fatal-failure stop, progress and the summary). A new bulk
/// operation is one of these plus a thin cmdlet.</summary>
public abstract class TransferAction<TItem, TResult> where TItem : TransferItem where TResult : class
{
    /// <summary>The operation's name in progress and summaries ("Upload", "Copy", "TarIndex").</summary>
    public abstract string Operation { get; }

    /// <summary>Bytes the item stands for, known when it is planned (for progress).</summary>
    public abstract long SizeOf(TItem item);

    /// <summary>Outcomes the item will give (a batch of keys gives one per key), for progress.</summary>
    public virtual int CountOf(TItem item) => 1;

    /// <summary>Told of each item as it is queued, before a worker takes it: an action may start fetching what the
    /// item will need (Send-S3Directory lists the item's destination folder ahead). Must not block.</summary>
    public virtual void Planned(TItem item, CancellationToken cancellationToken) { }

    /// <summary>Checks made once, before the first item (the destination bucket exists, the keys work). A failure
    /// here stops the run with one error instead of one per item.</summary>
    public virtual Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Does the item. Yields zero or more partial results (tar entries) and ends with the item's outcome
    /// (an <see cref="ITransferOutcome"/>). <paramref name="dryRun"/>: decide and report, write nothing.</summary>
    public abstract IAsyncEnumerable<TResult> RunAsync(TItem item, bool dryRun, CancellationToken cancellationToken);

    /// <summary>The outcome of an item that failed (in planning, or while it ran).</summary>
    public abstract TResult Failed(TItem item, S3TurboException failure, TimeSpan elapsed);

    /// <summary>Turns what an item threw into the engine's typed failure; one that every item would share is
    /// marked IsFatalForRun and stops the run.</summary>
    public abstract S3TurboException Classify(Exception exception, TItem item);

    /// <summary>The summary of the run; operations with more to say return a derived summary.</summary>
    public virtual TransferSummary Summarize(TransferSummary summary) => summary;
}
