namespace S3Turbo.Engine.Transfer;

/// <summary>One unit of work of a bulk operation (a file, an object, an archive, a batch of keys). Planning may
/// already know that it cannot be done: then it carries the failure and is reported in order with the rest, never
/// dropped.</summary>
public abstract class TransferItem
{
    public S3TurboException? Failure { get; init; }
}

/// <summary>The part type of actions that yield only outcomes (no partial results).</summary>
public sealed class NoPart
{
    NoPart() { }
}

/// <summary>Where an action hands partial results (a tar archive's entries) to its run, in order, before the item's
/// outcome.</summary>
public interface IPartWriter<in TPart>
{
    ValueTask WriteAsync(TPart part, CancellationToken cancellationToken);
}

/// <summary>What a bulk operation does with one item, and the rules of a run that only the operation knows (what a
/// result means to a mirror, which queue message it settles). The <see cref="TransferEngine{TItem,TPart,TResult}"/>
/// owns everything else (queues, workers, the request budget, counting, the fatal-failure stop, progress and the
/// summary), and <see cref="TransferRun{TItem,TPart,TResult}"/> the rest of a run (report, mirror, queue settlement,
/// outputs). A new bulk operation is one of these plus a thin cmdlet: no shared switch or enum changes.</summary>
/// <typeparam name="TItem">The unit of work.</typeparam>
/// <typeparam name="TPart">Partial results yielded while an item runs (tar entries); <see cref="NoPart"/> for none.</typeparam>
/// <typeparam name="TResult">The outcome type; a batch item (keys of one request) yields one per key.</typeparam>
public abstract class TransferAction<TItem, TPart, TResult> where TItem : TransferItem where TPart : class where TResult : class, ITransferOutcome
{
    /// <summary>The operation's name in progress and summaries ("Upload", "Copy", "TarIndex").</summary>
    public abstract string Operation { get; }

    /// <summary>Bytes the item stands for, known when it is planned (for progress).</summary>
    public abstract long SizeOf(TItem item);

    /// <summary>Outcomes the item will give (a batch of keys gives one per key), for progress.</summary>
    public virtual int CountOf(TItem item) => 1;

    /// <summary>The ErrorId of a failure nothing more specific describes (UploadFailed, CopyFailed, …).</summary>
    public abstract string FallbackErrorId { get; }

    /// <summary>Told of each item as it is queued, before a worker takes it: an action may start fetching what the
    /// item will need (Send-S3Directory lists the item's destination folder ahead). Must not block.</summary>
    public virtual void Planned(TItem item, CancellationToken cancellationToken) { }

    /// <summary>Checks made once, before the first item (the destination bucket exists, the keys work). A failure
    /// here stops the run with one error instead of one per item.</summary>
    public virtual Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Does the item: partial results go to <paramref name="parts"/>, then its outcome (or one per key of a
    /// batch) is yielded. <paramref name="dryRun"/>: decide and report, write nothing.</summary>
    public abstract IAsyncEnumerable<TResult> RunAsync(TItem item, IPartWriter<TPart> parts, bool dryRun, CancellationToken cancellationToken);

    /// <summary>The outcomes of an item that failed (in planning, or while it ran): one per key of a batch.</summary>
    public abstract IEnumerable<TResult> Failed(TItem item, S3TurboException failure, TimeSpan elapsed);

    /// <summary>Turns what an item threw into a typed failure; one that every item would share is marked
    /// IsFatalForRun and stops the run.</summary>
    public abstract S3TurboException Classify(Exception exception, TItem item);

    /// <summary>The summary of the run; operations with more to say return a derived summary.</summary>
    public virtual TransferSummary Summarize(TransferSummary summary) => summary;

    /// <summary>Mirroring (-Delete): records the destination a result that did not fail stands for (and whether its
    /// source was read, or only kept from deletion). Operations that cannot mirror leave this alone.</summary>
    public virtual void RecordMirrorSource(TResult result, Remove.MirrorSources sources) { }

    /// <summary>Queue-fed runs: the key an item is matched to its queue message by; the same key for the item's
    /// final outcome (null for outcomes that settle nothing).</summary>
    public virtual string? SettlementKey(TItem item) => null;

    /// <inheritdoc cref="SettlementKey(TItem)"/>
    public virtual string? SettlementKey(TResult result) => null;
}

/// <summary>An action whose items yield only outcomes.</summary>
public abstract class TransferAction<TItem, TResult> : TransferAction<TItem, NoPart, TResult> where TItem : TransferItem where TResult : class, ITransferOutcome
{
    public sealed override IAsyncEnumerable<TResult> RunAsync(TItem item, IPartWriter<NoPart> parts, bool dryRun, CancellationToken cancellationToken) =>
        RunAsync(item, dryRun, cancellationToken);

    /// <summary>Does the item and yields its outcome (or one per key of a batch). <paramref name="dryRun"/>: decide
    /// and report, write nothing.</summary>
    public abstract IAsyncEnumerable<TResult> RunAsync(TItem item, bool dryRun, CancellationToken cancellationToken);
}
