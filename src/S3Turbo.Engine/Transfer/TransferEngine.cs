using System.Diagnostics;
using System.Threading.Channels;
using Amazon.S3;

namespace S3Turbo.Engine.Transfer;

/// <summary>What every bulk operation's options share: the request budget, the item limits, what-if, progress.</summary>
public class TransferOptions
{
    /// <summary>Fixed request concurrency; null means adaptive.</summary>
    public int? MaxConcurrency { get; init; }
    public double? MaxRequestsPerSecond { get; init; }
    /// <summary>-MaxBytesPerSecond: one cap on the bytes all the run's requests move, both ways; null for none.</summary>
    public long? MaxBytesPerSecond { get; init; }
    public int InitialConcurrency { get; init; } = 16;
    public int MaxAdaptiveConcurrency { get; init; } = 128;
    /// <summary>Items worked on at once (each holds at most one request slot unless it is multipart).</summary>
    public int MaxItemsInFlight { get; init; } = 256;
    /// <summary>Planned items waiting for a worker; planning waits when the queue is full.</summary>
    public int QueueCapacity { get; init; } = 1024;
    /// <summary>Results waiting for their reader; workers wait when nobody reads.</summary>
    public int ResultCapacity { get; init; } = 1024;
    /// <summary>Decide and report every item, write nothing (the checks that decide still run).</summary>
    public bool WhatIf { get; init; }
    public TimeSpan ControlInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public IProgress<TransferProgress>? Progress { get; init; }
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Only the items whose key falls in this shard (-ShardIndex/-ShardCount); null: all.</summary>
    public Shard? Shard { get; init; }
    /// <summary>The clock of the control and progress loops (tests step a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
    /// <summary>-TimeLimit: the run stops taking items a little before it (see <see cref="TimeLimitMargin"/>), and at
    /// it stops what is in flight (large transfers left resumable); the summary is then Incomplete. Null: no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }
    /// <summary>-Resumable: a stop (Ctrl+C) leaves multipart uploads and partial downloads for the next run to resume
    /// instead of removing them. A stop at the time limit always does.</summary>
    public bool KeepResumable { get; init; }
    /// <summary>How the run stopped, as the engine tells its action (set by the engine).</summary>
    public RunStopState StopState { get; } = new();

    /// <summary>How long before the time limit the run takes no new items, so that items in flight can finish:
    /// a tenth of the limit, between half a second and 30 seconds.</summary>
    public TimeSpan TimeLimitMargin => TimeLimit is { } limit ? TimeSpan.FromTicks(Math.Clamp(limit.Ticks / 10, TimeSpan.FromSeconds(0.5).Ticks, TimeSpan.FromSeconds(30).Ticks)) : TimeSpan.Zero;

    /// <summary>Whether work stopped now is to be left for the next run (multipart uploads not aborted, partial
    /// downloads kept): asked for (-Resumable), or stopped by the time limit.</summary>
    public bool LeavesStoppedWorkResumable => KeepResumable || StopState.TimeLimitReached;

    /// <summary>Checks the options before anything starts (the request budget checks its own).</summary>
    public virtual void Validate()
    {
        if (TimeLimit is { } limit && limit <= TimeSpan.Zero)
            throw new S3TurboException(ErrorIds.InvalidTimeLimit, FailureKind.InvalidArgument, $"-TimeLimit {limit} is not valid: give a positive time, for example 14m or 00:14:00.", limit);
        if (MaxItemsInFlight < 1)
            throw new S3TurboException(ErrorIds.InvalidConcurrency, FailureKind.InvalidArgument, $"{MaxItemsInFlight} items in flight is not valid: at least 1.", MaxItemsInFlight);
    }

    /// <summary>The run's one request budget, made from these options.</summary>
    public RequestBudget CreateBudget(IAmazonS3 s3) =>
        new(s3, MaxConcurrency, InitialConcurrency, MaxAdaptiveConcurrency, MaxRequestsPerSecond, TimeProvider, MaxBytesPerSecond);

    /// <summary>Validates these options and starts an engine: its one request budget, the action over it.</summary>
    public TransferEngine<TItem, TPart, TResult> Start<TItem, TPart, TResult>(IAmazonS3 s3, Func<RequestBudget, TransferAction<TItem, TPart, TResult>> createAction,
        CancellationToken cancellationToken) where TItem : TransferItem where TPart : class where TResult : class, ITransferOutcome
    {
        Validate();
        var budget = CreateBudget(s3);
        try { return new TransferEngine<TItem, TPart, TResult>(createAction(budget), budget, this, cancellationToken); }
        catch { budget.Dispose(); throw; }
    }

    /// <summary>Starts an engine that follows another one over its request budget (a mirror's deletions after the
    /// transfer): the same concurrency, rate cap and request counts. The budget stays the first run's to dispose;
    /// this run's own concurrency options do not apply.</summary>
    public TransferEngine<TItem, TPart, TResult> Start<TItem, TPart, TResult>(RequestBudget sharedBudget, Func<RequestBudget, TransferAction<TItem, TPart, TResult>> createAction,
        CancellationToken cancellationToken) where TItem : TransferItem where TPart : class where TResult : class, ITransferOutcome
    {
        Validate();
        return new TransferEngine<TItem, TPart, TResult>(createAction(sharedBudget), sharedBudget, this, cancellationToken, ownsBudget: false);
    }
}

/// <summary>How a run stopped early, shared by the engine with its action (which decides what to leave resumable).</summary>
public sealed class RunStopState
{
    volatile bool _timeLimitReached, _takingNoItems;
    /// <summary>The time limit came: items in flight were stopped.</summary>
    public bool TimeLimitReached { get => _timeLimitReached; internal set => _timeLimitReached = value; }
    /// <summary>The time limit is near: no new item is started.</summary>
    public bool TakingNoItems { get => _takingNoItems; internal set => _takingNoItems = value; }
}

/// <summary>One record a run hands out, in order: a partial result (a tar entry) or an item's outcome.</summary>
public readonly struct ItemOutput<TPart, TResult> where TPart : class where TResult : class
{
    ItemOutput(TPart? part, TResult? outcome) { Part = part; Outcome = outcome; }
    public static ItemOutput<TPart, TResult> Of(TPart part) => new(part, null);
    public static ItemOutput<TPart, TResult> Of(TResult outcome) => new(null, outcome);
    /// <summary>The partial result, or null when this is an outcome.</summary>
    public TPart? Part { get; }
    /// <summary>The outcome, or null when this is a partial result.</summary>
    public TResult? Outcome { get; }
}

/// <summary>Runs a bulk operation: planned items go through a bounded queue to N workers that run the action on
/// each, sharing one request budget; results come out of a bounded channel, so memory stays flat however long
/// the plan is. The engine counts outcomes, stops the run on a failure every later item would share (bad
/// credentials, a missing bucket), reports progress snapshots and gives one summary when every item is done.</summary>
public sealed class TransferEngine<TItem, TPart, TResult> : IDisposable where TItem : TransferItem where TPart : class where TResult : class, ITransferOutcome
{
    readonly TransferAction<TItem, TPart, TResult> _action;
    readonly TransferOptions _options;
    readonly Channel<TItem> _input;
    readonly Channel<ItemOutput<TPart, TResult>> _output;
    readonly CancellationTokenSource _runStopped; // the caller's stop or a fatal failure: the whole run ends
    readonly CancellationTokenSource _stop;       // that, or the time limit: the work in flight ends
    readonly CancellationTokenSource _background = new();
    readonly TransferCounters _counters = new();
    readonly long _started;
    readonly Task _workers;
    readonly bool _ownsBudget;
    Exception? _fatal;

    public TransferEngine(TransferAction<TItem, TPart, TResult> action, RequestBudget budget, TransferOptions options, CancellationToken cancellationToken,
        bool ownsBudget = true)
    {
        _ownsBudget = ownsBudget;
        options.Validate();
        _action = action;
        _options = options;
        Budget = budget;
        _started = options.TimeProvider.GetTimestamp();
        _input = Channel.CreateBounded<TItem>(new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.Wait });
        _output = Channel.CreateBounded<ItemOutput<TPart, TResult>>(new BoundedChannelOptions(options.ResultCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _parts = new PartWriter(this);
        _runStopped = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(_runStopped.Token);
        Token = _stop.Token;
        ResultsToken = _runStopped.Token;
        _workers = Task.WhenAll(Enumerable.Range(0, options.MaxItemsInFlight).Select(_ => Task.Run(WorkAsync)));
        var controller = budget.RunControllerAsync(options.ControlInterval, _background.Token);
        var reporting = options.Progress is null ? Task.CompletedTask : ReportProgressAsync(options.Progress);
        var timeLimit = options.TimeLimit is { } limit ? StopAtTimeLimitAsync(limit, options.TimeLimitMargin) : Task.CompletedTask;
        Completion = FinishAsync(controller, reporting, timeLimit);
    }

    /// <summary>-TimeLimit: a margin before it, no new items (the input is closed: plans and queues stop feeding, and
    /// queued items are counted as left); at it, items in flight are stopped, their work left resumable.</summary>
    async Task StopAtTimeLimitAsync(TimeSpan limit, TimeSpan margin)
    {
        try
        {
            await Task.Delay(limit - margin, _options.TimeProvider, _background.Token).ConfigureAwait(false);
            _inputDoneBeforeStop = _counters.InputComplete;
            _options.StopState.TakingNoItems = true;
            _input.Writer.TryComplete();
            await Task.Delay(margin, _options.TimeProvider, _background.Token).ConfigureAwait(false);
            _options.StopState.TimeLimitReached = true;
            _stop.Cancel();
        }
        catch (OperationCanceledException) { }
    }

    volatile bool _inputDoneBeforeStop;

    /// <summary>Whether the time limit stopped the run before all its work was done.</summary>
    public bool StoppedByTimeLimit => _options.StopState.TakingNoItems && !(_inputDoneBeforeStop && _counters.ItemsWithoutOutcome == 0);

    public RequestBudget Budget { get; }
    public TransferAction<TItem, TPart, TResult> Action => _action;
    public TransferOptions Options => _options;
    /// <summary>Cancelled when the caller cancels, a fatal failure stops the run, or its time limit comes: the
    /// work in flight stops.</summary>
    public CancellationToken Token { get; }
    /// <summary>Cancelled when the caller cancels or a fatal failure stops the run, not by the time limit: what
    /// finished before it is still handed over and read.</summary>
    public CancellationToken ResultsToken { get; }
    /// <summary>Partial results and outcomes, in the order each item produced them.</summary>
    public ChannelReader<ItemOutput<TPart, TResult>> Results => _output.Reader;
    /// <summary>The action's checks made once before the first item (see TransferAction.PrepareAsync).</summary>
    public Task PrepareAsync(CancellationToken cancellationToken) => _action.PrepareAsync(cancellationToken);
    /// <summary>The summary, once every item is done and every result handed over; faults with the fatal
    /// S3TurboException when the run stopped early.</summary>
    public Task<TransferSummary> Completion { get; }
    public int QueuedItems => _input.Reader.CanCount ? _input.Reader.Count : -1;
    TimeSpan Elapsed => _options.TimeProvider.GetElapsedTime(_started);

    /// <summary>Queues one planned item; waits while the queue is full. Throws ChannelClosedException once the run
    /// has stopped (await Completion for why).</summary>
    public async ValueTask AddAsync(TItem item, CancellationToken cancellationToken = default)
    {
        CountDiscovered(item, 1);
        try { await _input.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false); }
        catch { CountDiscovered(item, -1); throw; } // not queued (the run stopped): not the run's item
        if (item.Failure is null) _action.Planned(item, Token);
    }

    /// <summary>Queues one planned item only if the queue has room now; false (nothing queued) otherwise, or once
    /// the run has stopped. Lets a caller on a thread that must not wait (PowerShell's pipeline thread) add piped
    /// items directly and fall back to <see cref="AddAsync"/> for the rest.</summary>
    public bool TryAdd(TItem item)
    {
        // Counted before it is queued, so progress never shows an item completed that was not yet discovered.
        CountDiscovered(item, 1);
        if (_input.Writer.TryWrite(item))
        {
            if (item.Failure is null) _action.Planned(item, Token);
            return true;
        }
        CountDiscovered(item, -1);
        return false;
    }

    void CountDiscovered(TItem item, int sign) =>
        _counters.Discovered(sign * (item.Failure is null ? _action.CountOf(item) : 1), sign * (item.Failure is null ? Math.Max(0, _action.SizeOf(item)) : 0));

    /// <summary>Queues every item of a plan as it is produced (a streamed listing, a directory walk); returns how many.</summary>
    public async Task<long> AddAllAsync(IAsyncEnumerable<TItem> plan, CancellationToken cancellationToken)
    {
        long added = 0;
        await foreach (var item in plan.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await AddAsync(item, cancellationToken).ConfigureAwait(false);
            added++;
        }
        return added;
    }

    /// <summary>As above, for a plan produced synchronously (a directory walk).</summary>
    public async Task<long> AddAllAsync(IEnumerable<TItem> plan, CancellationToken cancellationToken)
    {
        long added = 0;
        foreach (var item in plan)
        {
            await AddAsync(item, cancellationToken).ConfigureAwait(false);
            added++;
        }
        return added;
    }

    public void CompleteAdding()
    {
        _counters.InputComplete = true;
        _input.Writer.TryComplete();
    }

    public TransferProgress GetProgress() => _counters.Snapshot(_action.Operation, Elapsed, Budget);

    /// <summary>Stops the run because of a failure every later item would share.</summary>
    void Fail(Exception fatal)
    {
        Interlocked.CompareExchange(ref _fatal, fatal, null);
        _input.Writer.TryComplete();
        _runStopped.Cancel();
    }

    async Task WorkAsync()
    {
        try
        {
            while (await _input.Reader.WaitToReadAsync(Token).ConfigureAwait(false))
                while (_input.Reader.TryRead(out var item))
                {
                    Token.ThrowIfCancellationRequested();
                    if (_options.StopState.TakingNoItems) continue; // left for the next run: counted as left
                    await RunItemAsync(item).ConfigureAwait(false);
                }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested) { }
        catch (Exception ex) { Fail(ex); }
    }

    /// <summary>The item protocol: a planned failure is reported as is; otherwise the action's results go out as
    /// they come, and whatever it throws becomes the item's failed outcome.</summary>
    async Task RunItemAsync(TItem item)
    {
        var clock = Stopwatch.StartNew();
        if (item.Failure is not null) { await EmitAllAsync(_action.Failed(item, item.Failure, clock.Elapsed)).ConfigureAwait(false); return; }
        int emitted = 0;
        try
        {
            await foreach (var result in _action.RunAsync(item, _parts, _options.WhatIf, Token).ConfigureAwait(false))
            {
                emitted++;
                await EmitAsync(result).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Token.IsCancellationRequested)
        {
            // A batch that fails midway has reported its first keys; the rest fail with it, one outcome per key.
            await EmitAllAsync(_action.Failed(item, _action.Classify(ex, item), clock.Elapsed).Skip(emitted)).ConfigureAwait(false);
        }
    }

    async ValueTask EmitAllAsync(IEnumerable<TResult> results)
    {
        foreach (var result in results) await EmitAsync(result).ConfigureAwait(false);
    }

    async ValueTask EmitAsync(TResult result)
    {
        _counters.Completed(result.Outcome, Math.Max(0, result.Size));
        if (result.Error is { IsFatalForRun: true } fatal) Fail(fatal);
        await _output.Writer.WriteAsync(ItemOutput<TPart, TResult>.Of(result), ResultsToken).ConfigureAwait(false);
    }

    readonly PartWriter _parts;

    /// <summary>Partial results go into the same ordered output as the outcomes.</summary>
    sealed class PartWriter : IPartWriter<TPart>
    {
        readonly TransferEngine<TItem, TPart, TResult> _engine;
        public PartWriter(TransferEngine<TItem, TPart, TResult> engine) => _engine = engine;
        public ValueTask WriteAsync(TPart part, CancellationToken cancellationToken) => _engine._output.Writer.WriteAsync(ItemOutput<TPart, TResult>.Of(part), cancellationToken);
    }

    async Task ReportProgressAsync(IProgress<TransferProgress> progress)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.ProgressInterval, _options.TimeProvider, _background.Token).ConfigureAwait(false);
                progress.Report(GetProgress());
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Releases the request budget (when this run owns it). Requests made after the run (writing what it
    /// produced, such as a tar index, or a mirror's deletions) may still use it until then.</summary>
    public void Dispose()
    {
        _background.Cancel();
        if (_ownsBudget) Budget.Dispose();
    }

    async Task<TransferSummary> FinishAsync(Task controller, Task reporting, Task timeLimit)
    {
        try { await _workers.ConfigureAwait(false); }
        finally
        {
            // The linked source is not disposed: a late Fail() may still cancel it.
            _output.Writer.TryComplete(_fatal);
            _background.Cancel();
            await Task.WhenAll(controller, reporting, timeLimit).ConfigureAwait(false);
            _options.Progress?.Report(GetProgress());
        }
        if (_fatal is not null) throw _fatal;
        var summary = _counters.Summary(_action.Operation, Elapsed, Budget, _options.WhatIf);
        ResultsToken.ThrowIfCancellationRequested();
        if (StoppedByTimeLimit)
            return _action.Summarize(summary with { Incomplete = true, StopReason = "TimeLimit", ItemsLeft = _counters.ItemsWithoutOutcome });
        Token.ThrowIfCancellationRequested();
        return _action.Summarize(summary);
    }
}
