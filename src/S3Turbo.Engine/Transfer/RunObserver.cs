namespace S3Turbo.Engine.Transfer;

/// <summary>What a run tells its host (a cmdlet, a test) as it goes. The asynchronous members are called by the
/// run's one reader, one call at a time and in order, and may wait (back-pressure: a host that cannot keep up slows
/// the run, never grows its memory).</summary>
public interface IRunObserver<in TPart>
{
    /// <summary>An item's outcome (a failed one carries its error; a dry run's says what it would do), or a mirror
    /// removal's.</summary>
    ValueTask OutcomeAsync(ITransferOutcome outcome, CancellationToken cancellationToken);

    /// <summary>A partial result (a tar entry), after any output of the run has taken it.</summary>
    ValueTask PartAsync(TPart part, CancellationToken cancellationToken);

    /// <summary>A failure that is not an item's: a rejected input, a queue message that names no work, a mirror that
    /// deleted nothing for a reason the user must see.</summary>
    ValueTask ProblemAsync(S3TurboException problem, CancellationToken cancellationToken);

    ValueTask WarningAsync(string message, CancellationToken cancellationToken);

    ValueTask VerboseAsync(string message, CancellationToken cancellationToken);

    /// <summary>A diagnostic from background work that must not wait (a concurrency change, a visibility extension
    /// that failed); may be dropped when the host is busy.</summary>
    void Notice(string message);
}

/// <summary>Where a run's results are written besides its host (Get-S3TarIndex's index files or objects). It sees
/// every partial result and outcome before the host does.</summary>
public interface IRunOutput<in TPart, in TResult> : IAsyncDisposable
{
    ValueTask AcceptPartAsync(TPart part, CancellationToken cancellationToken);

    ValueTask AcceptOutcomeAsync(TResult outcome, CancellationToken cancellationToken);

    /// <summary>Completes when what the outcome's item produced is durable (its index object stored), so a queue
    /// message is deleted only then; faults when it could not be stored.</summary>
    Task StoredAsync(TResult outcome);

    /// <summary>Finishes every output after the last result; may add to the summary (where the outputs went).</summary>
    Task<TransferSummary> CompleteAsync(TransferSummary summary, CancellationToken cancellationToken);
}

/// <summary>What a run does besides its items: a completion report, a mirror, the name queue work items use for it.</summary>
public sealed class RunOptions
{
    /// <summary>-Delete: the destination whose items without a source are removed after a run without failures.</summary>
    public Remove.MirrorTarget? Mirror { get; init; }
    /// <summary>-ReportPath: an s3:// URI or a full local path; null for no report.</summary>
    public string? ReportLocation { get; init; }
    public bool ReportFailedOnly { get; init; }
    /// <summary>The report's job ID (a new GUID when null; a shard's index is appended).</summary>
    public string? JobId { get; init; }
    /// <summary>The operation queue work items name for this run ("Get-S3TarIndex"); a work item naming another is refused.</summary>
    public string? QueueOperation { get; init; }
}
