using System.Runtime.CompilerServices;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Manifest;
using S3Turbo.Engine.Queue;
using S3Turbo.Engine.Remove;

namespace S3Turbo.Engine.Transfer;

/// <summary>What a run is, beside its items: the engine, the one reader of its results (which records a mirror's
/// sources, writes the completion report and the run's outputs, settles queue messages and tells the host), its
/// inputs (plans, manifests, a queue) with their rejections counted, and the end of the run (outputs completed,
/// manifest warnings, the mirror, the queue closed, the report stored, one summary). A host (a cmdlet) only supplies
/// inputs and shows what it is told through <see cref="IRunObserver{TPart}"/>.</summary>
public sealed class TransferRun<TItem, TPart, TResult> : IAsyncDisposable
    where TItem : TransferItem where TPart : class where TResult : class, ITransferOutcome
{
    readonly TransferEngine<TItem, TPart, TResult> _engine;
    readonly IRunObserver<TPart> _observer;
    readonly RunOptions _options;
    readonly IRunOutput<TPart, TResult>? _output;
    readonly CompletionReport? _report;
    readonly MirrorSources? _sources;
    readonly List<(string Location, ManifestCounts Counts)> _manifests = new();
    readonly Task _reader;
    QueueFeed<TItem>? _feed;
    readonly CancellationTokenSource _abandoned = new();
    long _inputsRejected;

    TransferRun(TransferEngine<TItem, TPart, TResult> engine, RunOptions options, IRunObserver<TPart> observer, IRunOutput<TPart, TResult>? output)
    {
        _engine = engine; _options = options; _observer = observer; _output = output;
        var shard = engine.Options.Shard;
        if (options.Mirror is not null)
        {
            if (shard is not null)
                throw new S3TurboException(ErrorIds.ConflictingParameters, FailureKind.InvalidArgument,
                    "-Delete cannot be combined with -ShardIndex/-ShardCount: a worker sees only its share of the sources, so it cannot tell which destination items have none. Mirror in one run without shards.", shard.Index);
            if (options.Mirror is S3MirrorTarget s3) BucketNames.Validate(s3.BucketName);
            _sources = new MirrorSources();
        }
        if (options.ReportLocation is not null && !engine.Options.WhatIf)
            _report = CompletionReport.Create(engine.Budget, options.ReportLocation, options.ReportFailedOnly,
                (options.JobId ?? Guid.NewGuid().ToString("D")) + (shard is null ? "" : $"-shard-{shard.Index}-of-{shard.Count}"));
        engine.Budget.ConcurrencyChanged += (before, after) => observer.Notice($"Request concurrency {before} → {after}.");
        _reader = ReadAsync();
    }

    /// <summary>Starts a run over a started engine: the action's checks run first (a failure there stops the run
    /// with one error), then results are read as they come.</summary>
    public static async Task<TransferRun<TItem, TPart, TResult>> StartAsync(TransferEngine<TItem, TPart, TResult> engine, RunOptions options,
        IRunObserver<TPart> observer, IRunOutput<TPart, TResult>? output, CancellationToken cancellationToken)
    {
        await engine.PrepareAsync(cancellationToken).ConfigureAwait(false);
        return new TransferRun<TItem, TPart, TResult>(engine, options, observer, output);
    }

    public RequestBudget Budget => _engine.Budget;
    /// <summary>The queue feed of a -QueueUrl run, once it started taking work (null otherwise).</summary>
    public QueueFeed<TItem>? Feed => _feed;
    public TransferEngine<TItem, TPart, TResult> Engine => _engine;
    /// <summary>The time limit is near or came: inputs stop, and what they did not plan is for the next run.</summary>
    bool TakingNoItems => _engine.Options.StopState.TakingNoItems;

    /// <summary>Inputs rejected so far (each reported as a problem, and counted as a failure in the summary).</summary>
    public long InputsRejected => Interlocked.Read(ref _inputsRejected);

    // ---- inputs ----

    /// <summary>Queues an item only if the queue has room now (for a host thread that must not wait).</summary>
    public bool TryAdd(TItem item) => _engine.TryAdd(item);

    /// <summary>Plans one input into the run. A bad input (an invalid URI, a missing source bucket, overlapping
    /// prefixes) concerns that input only: it is reported and counted, and the run goes on; a failure every input
    /// would share stops the run. <paramref name="warningWhenEmpty"/> is said when the input named nothing.</summary>
    public async Task AddAsync(IAsyncEnumerable<TItem> plan, string? warningWhenEmpty, CancellationToken cancellationToken)
    {
        long added;
        try { added = await _engine.AddAllAsync(plan, cancellationToken).ConfigureAwait(false); }
        catch (S3TurboException ex) when (!ex.IsFatalForRun && ex.Kind != FailureKind.Stopped)
        {
            await RejectAsync(ex, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (System.Threading.Channels.ChannelClosedException) when (TakingNoItems) { return; } // the time limit: the input stops here
        if (added == 0 && warningWhenEmpty is not null) await _observer.WarningAsync(warningWhenEmpty, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="AddAsync(IAsyncEnumerable{TItem}, string?, CancellationToken)"/>
    public Task AddAsync(IEnumerable<TItem> plan, CancellationToken cancellationToken) => AddAsync(Async(plan), null, cancellationToken);

    /// <summary>An input found bad before it was planned: reported, counted as a failure.</summary>
    public ValueTask RejectAsync(S3TurboException problem, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _inputsRejected);
        return _observer.ProblemAsync(problem, cancellationToken);
    }

    /// <summary>-ManifestPath: the objects an S3 Inventory manifest.json or a Batch Operations CSV names (a full local
    /// path or an s3:// URI), each planned by <paramref name="plan"/>. Every item comes from the manifest, so one that
    /// cannot be read or is refused stops the run with one error: no summary may read as a success after nothing was
    /// done. (A manifest a queue message names fails only that message: see <see cref="QueueManifest"/>.)</summary>
    public Task AddManifestAsync(string location, bool allowVersions, Func<IAsyncEnumerable<ManifestEntry>, IAsyncEnumerable<TItem>> plan,
        string displayName, CancellationToken cancellationToken)
    {
        var counts = new ManifestCounts();
        lock (_manifests) _manifests.Add((displayName, counts));
        var shard = _engine.Options.Shard;
        return AddAsync(plan(FatalWhenRefused(ObjectManifest.ReadAsync(_engine.Budget, location, allowVersions, counts, cancellationToken))),
            $"The manifest {displayName} names no object{(shard is null ? "" : $" in {shard}")}: nothing to do.", cancellationToken);
    }

    /// <summary>A manifest's entries, each planned like a piped object by <paramref name="plan"/>.</summary>
    public static async IAsyncEnumerable<TItem> EachEntry(IAsyncEnumerable<ManifestEntry> entries, Func<ManifestEntry, IAsyncEnumerable<TItem>> plan)
    {
        await foreach (var entry in entries.ConfigureAwait(false))
            await foreach (var item in plan(entry).ConfigureAwait(false))
                yield return item;
    }

    static async IAsyncEnumerable<ManifestEntry> FatalWhenRefused(IAsyncEnumerable<ManifestEntry> entries)
    {
        await using var reading = entries.GetAsyncEnumerator();
        while (true)
        {
            try { if (!await reading.MoveNextAsync().ConfigureAwait(false)) yield break; }
            catch (S3TurboException ex) when (ex.Kind != FailureKind.Stopped) { throw ex.AsFatalForRun(); }
            yield return reading.Current;
        }
    }

    /// <summary>A manifest a queue message names: its entries, each planned by <paramref name="plan"/> (a local path is
    /// taken as it is).</summary>
    public async IAsyncEnumerable<TItem> QueueManifest(string location, Func<ManifestEntry, IAsyncEnumerable<TItem>> plan,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) ? location : Path.GetFullPath(location);
        await foreach (var item in EachEntry(ObjectManifest.ReadAsync(_engine.Budget, path, false, new ManifestCounts(), cancellationToken), plan)
            .WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return item;
    }

    /// <summary>-QueueUrl: work from an SQS queue until it has been idle for its IdleTimeout. Each message's targets
    /// are planned by <paramref name="plan"/>; a message is deleted after every one of its items succeeded and its
    /// output was stored, handed back for redelivery otherwise (see <see cref="QueueFeed{TItem}"/>). A bad queue
    /// setting stops the run.</summary>
    public async Task AddQueueAsync(S3Connection connection, QueueWorkerOptions options, Func<QueueTarget, IAsyncEnumerable<TItem>> plan, CancellationToken cancellationToken)
    {
        if (_feed is not null) throw new InvalidOperationException("A run takes work from one queue.");
        WorkQueue queue;
        try { queue = WorkQueue.Open(connection, _engine.Budget, options, _engine.Options.TimeProvider, _observer.Notice); }
        catch (S3TurboException ex) { throw ex.AsFatalForRun(); }
        var feed = _feed = new QueueFeed<TItem>(queue, item => _engine.Action.SettlementKey(item) ?? throw new InvalidOperationException($"{_engine.Action.Operation} settles no queue message."));
        // Abandoning the run (a stop, a failure elsewhere) stops taking messages too.
        using var taking = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abandoned.Token);
        cancellationToken = taking.Token;
        try
        {
            await feed.RunAsync(target =>
            {
                if (target.Operation is { } named && _options.QueueOperation is { } mine && !string.Equals(named, mine, StringComparison.OrdinalIgnoreCase))
                    throw new S3TurboException(ErrorIds.InvalidWorkItem, FailureKind.InvalidData, $"The work item for {target} is for {named}; this worker runs {mine}.", target.ToString());
                return plan(target);
            }, (item, ct) => _engine.AddAsync(item, ct), (_, problem) => _observer.ProblemAsync(problem, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        // The time limit: no more messages are taken; those held and not done are handed back when the feed closes.
        catch (System.Threading.Channels.ChannelClosedException) when (TakingNoItems) { }
    }

    static async IAsyncEnumerable<TItem> Async(IEnumerable<TItem> items)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var item in items) yield return item;
    }

    // ---- the one reader of the results ----

    async Task ReadAsync()
    {
        var action = _engine.Action;
        var token = _engine.ResultsToken;
        // Read until the engine closes its results: normally, or with the failure that stopped the run (which then
        // surfaces here rather than as the cancellation the stop caused).
        while (await _engine.Results.WaitToReadAsync().ConfigureAwait(false))
        while (_engine.Results.TryRead(out var output))
        {
            if (output.Part is { } part)
            {
                if (_output is not null) await _output.AcceptPartAsync(part, token).ConfigureAwait(false);
                await _observer.PartAsync(part, token).ConfigureAwait(false);
                continue;
            }
            var result = output.Outcome!;
            if (_sources is not null && result.Outcome != OutcomeKind.Failed) action.RecordMirrorSource(result, _sources);
            if (_output is not null) await _output.AcceptOutcomeAsync(result, token).ConfigureAwait(false);
            _report?.Add(ReportRow.For(result));
            await _observer.OutcomeAsync(result, token).ConfigureAwait(false);
            // A queue message is settled only once its item's result has been handed on (to the host, to the output)
            // and what it produced is stored.
            if (_feed is not null && action.SettlementKey(result) is { } key)
            {
                bool failed = result.Outcome == OutcomeKind.Failed;
                // A failed item's message is handed back whatever its output did; a done one waits for it to be stored.
                _feed.Settle(key, failed, failed ? Task.CompletedTask : _output?.StoredAsync(result) ?? Task.CompletedTask);
            }
        }
    }

    // ---- the end of the run ----

    /// <summary>Ends the input, waits for every item, then finishes the run: outputs, manifest warnings, the mirror
    /// (after a run without failures), the queue, the report. Returns the summary; throws the failure that stopped
    /// the run, if one did.</summary>
    public async Task<TransferSummary> CompleteAsync(CancellationToken cancellationToken)
    {
        _engine.CompleteAdding();
        await _reader.ConfigureAwait(false);
        var summary = await _engine.Completion.ConfigureAwait(false);
        if (_output is not null) summary = await _output.CompleteAsync(summary, cancellationToken).ConfigureAwait(false);
        List<(string Location, ManifestCounts Counts)> manifests;
        lock (_manifests) manifests = _manifests.ToList();
        foreach (var (location, counts) in manifests)
            if (counts.NoncurrentVersions + counts.DeleteMarkers > 0)
                await _observer.WarningAsync($"The inventory {location} also lists {counts.NoncurrentVersions:N0} noncurrent versions and {counts.DeleteMarkers:N0} delete markers; " +
                    "only current versions were used.", cancellationToken).ConfigureAwait(false);
        // A rejected input is a failure of the run: its summary must not read as a success to a script that checks it.
        if (InputsRejected > 0) summary = summary with { ItemsFailed = summary.ItemsFailed + InputsRejected };
        if (summary.Incomplete)
            await _observer.WarningAsync($"Stopped at the time limit ({_engine.Options.TimeLimit}): {summary.ItemsTransferred + summary.ItemsSkipped:N0} item(s) done, " +
                $"{summary.ItemsLeft:N0} planned item(s) left, and the rest of the input was not read. Run the same command again to go on: what is done is not done again" +
                (_engine.Options.LeavesStoppedWorkResumable ? ", and large transfers stopped midway are resumed." : "."), cancellationToken).ConfigureAwait(false);
        if (_options.Mirror is { } mirror) summary = await MirrorAsync(mirror, summary, cancellationToken).ConfigureAwait(false);
        await CloseFeedAsync(cancellationToken).ConfigureAwait(false);
        if (_report is not null)
        {
            var location = await _report.CompleteAsync(cancellationToken).ConfigureAwait(false);
            await _observer.VerboseAsync($"Completion report ({_report.Succeeded:N0} succeeded, {_report.Failed:N0} failed): {location}", cancellationToken).ConfigureAwait(false);
        }
        return summary;
    }

    /// <summary>The mirror (-Delete), after a run without failures: the destination's items no source stands for
    /// are removed by a removal run over this run's request budget (DeleteObjects batches for S3, file by file for a
    /// local directory), each outcome counted, reported and shown like the run's own. A failed item or a rejected
    /// input means a source may be missing: nothing is deleted.</summary>
    async Task<TransferSummary> MirrorAsync(MirrorTarget mirror, TransferSummary summary, CancellationToken cancellationToken)
    {
        if (summary.Incomplete)
        {
            await _observer.WarningAsync($"-Delete removed nothing from {mirror.Where}: the run stopped at its time limit before reading all its sources.", cancellationToken).ConfigureAwait(false);
            return summary;
        }
        if (summary.ItemsFailed > 0)
        {
            await _observer.WarningAsync($"-Delete removed nothing from {mirror.Where}: {summary.ItemsFailed:N0} item(s) or input(s) failed, and a mirror deletes only after a run without failures.",
                cancellationToken).ConfigureAwait(false);
            return summary;
        }
        var options = new RemoveOptions { WhatIf = _engine.Options.WhatIf, Progress = _engine.Options.Progress, TimeProvider = _engine.Options.TimeProvider };
        TransferSummary removed;
        if (mirror is LocalMirrorTarget local)
        {
            using var engine = options.Start(_engine.Budget, _ => new LocalFileRemoval(local.Root), cancellationToken);
            removed = await RemoveAsync(engine, () => LocalFileRemoval.PlanAsync(local, _sources!, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var (engine, removal) = PrefixRemoval.Start(_engine.Budget, options, cancellationToken);
            using (engine) removed = await RemoveAsync(engine, () => removal.PlanMirrorAsync((S3MirrorTarget)mirror, _sources!, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        return summary with
        {
            ItemsDeleted = removed.ItemsTransferred, ItemsFailed = summary.ItemsFailed + removed.ItemsFailed,
            Elapsed = summary.Elapsed + removed.Elapsed, RequestsByOperation = removed.RequestsByOperation,
            Retries = removed.Retries, ThrottleEvents = removed.ThrottleEvents, PeakConcurrency = removed.PeakConcurrency,
        };
    }

    /// <summary>A removal run of the mirror: its outcomes go to the report and the host; a plan that refuses (more
    /// extras than -MaxDelete, no source at all) deletes nothing and is reported as a problem.</summary>
    async Task<TransferSummary> RemoveAsync<TRemoval, TRemoved>(TransferEngine<TRemoval, NoPart, TRemoved> engine, Func<IAsyncEnumerable<TRemoval>> plan, CancellationToken cancellationToken)
        where TRemoval : TransferItem where TRemoved : class, ITransferOutcome
    {
        var reading = Task.Run(async () =>
        {
            while (await engine.Results.WaitToReadAsync(engine.Token).ConfigureAwait(false))
            while (engine.Results.TryRead(out var output))
            {
                _report?.Add(ReportRow.For(output.Outcome!));
                await _observer.OutcomeAsync(output.Outcome!, engine.Token).ConfigureAwait(false);
            }
        }, CancellationToken.None);
        try { await engine.AddAllAsync(plan(), cancellationToken).ConfigureAwait(false); }
        catch (S3TurboException ex) when (!ex.IsFatalForRun && ex.Kind != FailureKind.Stopped)
        {
            await _observer.ProblemAsync(ex, cancellationToken).ConfigureAwait(false); // too many to delete, or no source at all
        }
        finally { engine.CompleteAdding(); }
        try { await reading.ConfigureAwait(false); }
        catch (Exception)
        {
            // Stopped while results were read: the removal's own workers end with it; the first error is reported.
            await engine.Completion.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        return await engine.Completion.ConfigureAwait(false);
    }

    async Task CloseFeedAsync(CancellationToken cancellationToken)
    {
        if (_feed is not { } feed) return;
        _feed = null;
        await feed.DisposeAsync().ConfigureAwait(false);
        await _observer.VerboseAsync($"Queue: {feed.Completed:N0} messages done and deleted, {feed.Released:N0} handed back for another try.", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After a stop or a failure: no more input, the engine finishes cleaning up (its multipart uploads
    /// aborted), outputs not completed are dropped and held queue messages handed back at once.</summary>
    public async ValueTask AbandonAsync()
    {
        _abandoned.Cancel();
        _engine.CompleteAdding();
        try { await _engine.Completion.ConfigureAwait(false); } catch (Exception) { /* the caller reports the first error */ }
        try { await _reader.ConfigureAwait(false); } catch (Exception) { }
        if (_output is not null) await _output.DisposeAsync().ConfigureAwait(false);
        if (_feed is { } feed) { _feed = null; await feed.DisposeAsync().ConfigureAwait(false); }
    }

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null) await AbandonAsync().ConfigureAwait(false);
        _engine.Dispose();
        _report?.Dispose();
        _abandoned.Dispose();
    }
}
