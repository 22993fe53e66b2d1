using System.Runtime.CompilerServices;
using Amazon.SQS;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Queue;

public sealed class WorkItemSendOptions : TransferOptions
{
    // An item is a batch of up to 10 work items (one SendMessageBatch request).
    public WorkItemSendOptions() { InitialConcurrency = 8; MaxItemsInFlight = 16; QueueCapacity = 64; }

    public string QueueUrl { get; init; } = "";
    /// <summary>The cmdlet each work item names ("Get-S3TarIndex"); null: whichever worker takes it.</summary>
    public string? Operation { get; init; }
    public WildcardFilter Filter { get; init; } = new(null, null);
    public int PageSize { get; init; } = 1000;

    public override void Validate()
    {
        base.Validate();
        new QueueWorkerOptions { QueueUrl = QueueUrl }.Validate();
    }
}

/// <summary>Work items for one SendMessageBatch request (at most 10, SQS's limit).</summary>
public sealed class WorkItemBatch : TransferItem
{
    public WorkItemBatch(IReadOnlyList<QueueTarget> targets) => Targets = targets;
    public IReadOnlyList<QueueTarget> Targets { get; }
}

/// <summary>Sends S3Turbo work items to a queue: one per object of a streamed listing or a manifest (so many
/// workers share the objects), or one per prefix or manifest given as such; ten to a SendMessageBatch request,
/// several requests at once. Each work item's outcome comes back on its own.</summary>
public sealed class WorkItemSending : TransferAction<WorkItemBatch, WorkItemResult>, IDisposable
{
    public const int BatchSize = 10;
    readonly RequestBudget _budget;
    readonly IAmazonSQS _sqs;
    readonly WorkItemSendOptions _options;

    WorkItemSending(RequestBudget budget, IAmazonSQS sqs, WorkItemSendOptions options) { _budget = budget; _sqs = sqs; _options = options; }

    public static (TransferEngine<WorkItemBatch, NoPart, WorkItemResult> Engine, WorkItemSending Sending) Start(S3Connection connection, WorkItemSendOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var sqs = QueueClients.Create(connection.Options, options.QueueUrl);
        WorkItemSending? sending = null;
        try
        {
            var engine = options.Start(connection.Client, budget => sending = new WorkItemSending(budget, sqs, options), cancellationToken);
            return (engine, sending!);
        }
        catch { sqs.Dispose(); throw; }
    }

    public override string Operation => "SendWorkItem";
    public override string FallbackErrorId => ErrorIds.QueueUnavailable;
    public override long SizeOf(WorkItemBatch item) => item.Targets.Sum(t => t.Size ?? 0);
    public override int CountOf(WorkItemBatch item) => item.Targets.Count;

    /// <summary>One work item per object under the prefix that the filter accepts (within the shard).</summary>
    public IAsyncEnumerable<WorkItemBatch> PlanPrefixAsync(string bucket, string prefix, CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        prefix = KeyMapper.NormalizePrefix(prefix);
        return BatchAsync(ListAsync(bucket, prefix, cancellationToken), cancellationToken);
    }

    async IAsyncEnumerable<QueueTarget> ListAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var o in ObjectLister.ListAsync(_budget, bucket, prefix, _options.PageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
            if (_options.Filter.AcceptsKey(o.Key[prefix.Length..]) && _options.Shard?.Accepts(o.Key) != false)
                yield return new QueueTarget(QueueTargetKind.Object, bucket, o.Key, o.Size, o.ETag, _options.Operation);
    }

    /// <summary>One work item per manifest entry (within the shard).</summary>
    public IAsyncEnumerable<WorkItemBatch> PlanManifestAsync(IAsyncEnumerable<Manifest.ManifestEntry> entries, CancellationToken cancellationToken) =>
        BatchAsync(FromManifest(entries, cancellationToken), cancellationToken);

    async IAsyncEnumerable<QueueTarget> FromManifest(IAsyncEnumerable<Manifest.ManifestEntry> entries, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (_options.Filter.AcceptsKey(e.Key) && _options.Shard?.Accepts(e.Key) != false)
                yield return new QueueTarget(QueueTargetKind.Object, e.BucketName, e.Key, e.Size, e.ETag, _options.Operation);
    }

    /// <summary>A work item as given (one object, one whole prefix, one manifest), named for this run's operation.</summary>
    public WorkItemBatch Single(QueueTarget target)
    {
        if (target.Kind != QueueTargetKind.Manifest) BucketNames.Validate(target.BucketName);
        return new WorkItemBatch(new[] { target with { Operation = _options.Operation } });
    }

    async IAsyncEnumerable<WorkItemBatch> BatchAsync(IAsyncEnumerable<QueueTarget> targets, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<QueueTarget>(BatchSize);
        await foreach (var target in targets.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(target);
            if (batch.Count < BatchSize) continue;
            yield return new WorkItemBatch(batch);
            batch = new List<QueueTarget>(BatchSize);
        }
        if (batch.Count > 0) yield return new WorkItemBatch(batch);
    }

    public override async IAsyncEnumerable<WorkItemResult> RunAsync(WorkItemBatch item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (dryRun)
        {
            foreach (var target in item.Targets) yield return Result(target, WorkItemStatus.WouldSend);
            yield break;
        }
        var bodies = item.Targets.Select(WorkItem.Write).ToList();
        var byId = new Dictionary<string, (string? MessageId, string? Error)>();
        S3TurboException? whole = null;
        try { byId = QueueClients.Outcomes(await _budget.RunAsync(ct => QueueClients.SendBatchAsync(_sqs, _options.QueueUrl, bodies, ct), 0, cancellationToken).ConfigureAwait(false)); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The request as a whole failed: every work item of the batch did.
            whole = Classify(ex, item);
            if (whole.IsFatalForRun) throw whole;
        }
        for (int i = 0; i < item.Targets.Count; i++)
        {
            var target = item.Targets[i];
            if (whole is not null) yield return Failure(target, whole);
            else if (byId.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var outcome) && outcome.Error is null)
                yield return Result(target, WorkItemStatus.Sent) with { MessageId = outcome.MessageId };
            else
                yield return Failure(target, new S3TurboException(ErrorIds.QueueUnavailable, FailureKind.ServerError,
                    $"The queue refused the work item for {target}: {outcome.Error ?? "no answer for it"}.", target.ToString()));
        }
    }

    WorkItemResult Result(QueueTarget target, WorkItemStatus status) => new()
    {
        Kind = target.Kind.ToString(), BucketName = target.BucketName, Key = target.Key, Size = target.Size ?? 0, Operation = target.Operation, Status = status,
        QueueUrl = _options.QueueUrl,
    };

    WorkItemResult Failure(QueueTarget target, S3TurboException error) => Result(target, WorkItemStatus.Failed) with { Error = error.WithTarget(target.ToString()), Reason = error.Message };

    /// <summary>Every work item of a failed batch fails with it.</summary>
    public override IEnumerable<WorkItemResult> Failed(WorkItemBatch item, S3TurboException failure, TimeSpan elapsed) => item.Targets.Select(t => Failure(t, failure));

    /// <summary>Piped objects, gathered into batches of ten (one SendMessageBatch request each).</summary>
    public PipedBatches<QueueTarget, WorkItemBatch> PipedBatches() => new(BatchSize, (_, targets) => new WorkItemBatch(targets));

    /// <summary>A piped object as a work item for this run's operation; null when it is outside the shard or the filter.</summary>
    public QueueTarget? Piped(string bucket, string key, long? size, string? etag)
    {
        BucketNames.Validate(bucket);
        return _options.Shard?.Accepts(key) == false || !_options.Filter.AcceptsKey(key) ? null
            : new QueueTarget(QueueTargetKind.Object, bucket, key, size, etag, _options.Operation);
    }

    public override S3TurboException Classify(Exception exception, WorkItemBatch item) =>
        QueueClients.Failure(exception, "Sending work items failed", item.Targets.Count > 0 ? item.Targets[0].ToString() : null);

    public void Dispose() => _sqs.Dispose();
}
