using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;

namespace S3Turbo.Engine.Tests;

/// <summary>The engine's item protocol, stepped one item at a time: a test action whose items wait on gates the
/// test opens, a fake clock for the control and progress loops, and queue depths read directly. Nothing sleeps.</summary>
public class TransferEngineTests
{
    sealed class Item : TransferItem
    {
        public Item(int value) => Value = value;
        public int Value { get; }
        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    sealed record Done(int Value, UploadStatus Status, S3TurboException? Error = null) : ITransferOutcome
    {
        public long Size => 10;
        public OutcomeKind Outcome => Status switch { UploadStatus.Failed => OutcomeKind.Failed, UploadStatus.WouldUpload => OutcomeKind.WouldDo, _ => OutcomeKind.Done };
        public OutcomeSubject Subject => new("b", Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        public string StatusText => Status.ToString();
        public (string Target, string Action)? WhatIf => null;
    }

    sealed record Part(int Value);

    /// <summary>Each item yields <paramref name="partsPerItem"/> partial results, waits for its gate, then its outcome.</summary>
    sealed class StepAction : TransferAction<Item, Part, Done>
    {
        readonly int _partsPerItem;
        public StepAction(int partsPerItem = 0) => _partsPerItem = partsPerItem;
        public SemaphoreSlim Started { get; } = new(0);
        public Func<Item, Exception?> Throw { get; init; } = _ => null;
        public override string Operation => "Step";
        public override string FallbackErrorId => ErrorIds.UploadFailed;
        public override long SizeOf(Item item) => 10;

        public override async IAsyncEnumerable<Done> RunAsync(Item item, IPartWriter<Part> parts, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Started.Release();
            for (int i = 0; i < _partsPerItem; i++) await parts.WriteAsync(new Part(item.Value), cancellationToken);
            await item.Gate.Task.WaitAsync(cancellationToken);
            if (Throw(item) is { } ex) throw ex;
            yield return new Done(item.Value, dryRun ? UploadStatus.WouldUpload : UploadStatus.Uploaded);
        }

        public override IEnumerable<Done> Failed(Item item, S3TurboException failure, TimeSpan elapsed) => new[] { new Done(item.Value, UploadStatus.Failed, failure) };
        public override S3TurboException Classify(Exception exception, Item item) =>
            exception as S3TurboException ?? new S3TurboException(ErrorIds.UploadFailed, FailureKind.Unknown, exception.Message, item.Value);
    }

    static TransferEngine<Item, Part, Done> Engine(StepAction action, int workers = 2, int queue = 3, int results = 100, TimeProvider? clock = null, int? fixedConcurrency = 4,
        IProgress<TransferProgress>? progress = null, TimeSpan? timeLimit = null) =>
        new(action, new RequestBudget(TestS3.Client(), fixedConcurrency, initialConcurrency: 4, timeProvider: clock),
            new TransferOptions { MaxItemsInFlight = workers, QueueCapacity = queue, ResultCapacity = results, TimeProvider = clock ?? TimeProvider.System, Progress = progress, TimeLimit = timeLimit },
            CancellationToken.None);

    /// <summary>Waits (without sleeping) until the engine's own continuations have made the condition true.</summary>
    static async Task UntilAsync(Func<bool> condition)
    {
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(guard.Elapsed < TimeSpan.FromSeconds(10), "the engine did not get there");
            await Task.Yield();
        }
    }

    [Fact]
    public async Task A_time_limit_takes_no_new_item_before_it_stops_what_is_in_flight_at_it_and_reports_the_rest_as_left()
    {
        var clock = new FakeTimeProvider();
        var action = new StepAction();
        using var engine = Engine(action, workers: 2, queue: 10, clock: clock, timeLimit: TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(1), engine.Options.TimeLimitMargin); // a tenth of the limit
        var items = Enumerable.Range(0, 5).Select(i => new Item(i)).ToArray();
        foreach (var item in items) await engine.AddAsync(item);
        var drained = DrainAsync(engine);
        for (int i = 0; i < 2; i++) Assert.True(await action.Started.WaitAsync(TimeSpan.FromSeconds(10)));
        items[0].Gate.SetResult();
        Assert.True(await action.Started.WaitAsync(TimeSpan.FromSeconds(10))); // item 2 takes item 0's place

        clock.Advance(TimeSpan.FromSeconds(9)); // the margin before the limit: no new item starts, no more is taken
        await UntilAsync(() => engine.Options.StopState.TakingNoItems);
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => engine.AddAsync(new Item(9)).AsTask());
        items[1].Gate.SetResult(); // an item in flight may still finish
        await UntilAsync(() => engine.GetProgress().ItemsCompleted == 2);
        Assert.False(await action.Started.WaitAsync(TimeSpan.FromMilliseconds(50)), "items 3 and 4 must not start");

        // At the limit, the item still in flight (2) is stopped; the run ends with its summary.
        while (!engine.Token.IsCancellationRequested) { clock.Advance(TimeSpan.FromMilliseconds(100)); await Task.Yield(); }
        engine.CompleteAdding();
        var summary = await engine.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(summary.Incomplete);
        Assert.Equal("TimeLimit", summary.StopReason);
        Assert.Equal(2, summary.ItemsTransferred);
        Assert.Equal(3, summary.ItemsLeft);
        Assert.True(engine.Options.LeavesStoppedWorkResumable);
        Assert.Equal(new[] { 0, 1 }, (await drained).Cast<Done>().Select(d => d.Value).OrderBy(v => v));
    }

    [Fact]
    public async Task A_run_that_ends_within_its_time_limit_is_complete()
    {
        var clock = new FakeTimeProvider();
        var action = new StepAction();
        using var engine = Engine(action, workers: 2, queue: 10, clock: clock, timeLimit: TimeSpan.FromSeconds(10));
        var item = new Item(0);
        await engine.AddAsync(item);
        engine.CompleteAdding();
        item.Gate.SetResult();
        var drained = DrainAsync(engine);
        var summary = await engine.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await drained;
        Assert.False(summary.Incomplete);
        Assert.Equal(0, summary.ItemsLeft);
        Assert.False(engine.Options.LeavesStoppedWorkResumable);
    }

    static async Task<List<object>> DrainAsync(TransferEngine<Item, Part, Done> engine)
    {
        var results = new List<object>();
        await foreach (var r in engine.Results.ReadAllAsync()) results.Add((object?)r.Part ?? r.Outcome!);
        return results;
    }

    [Fact]
    public async Task Planning_waits_when_the_queue_is_full_so_memory_stays_bounded()
    {
        var action = new StepAction();
        using var engine = Engine(action, workers: 2, queue: 3);
        var items = Enumerable.Range(0, 6).Select(i => new Item(i)).ToArray();
        // 2 items taken by the workers + 3 queued = 5 accepted; the 6th must wait.
        for (int i = 0; i < 2; i++) await engine.AddAsync(items[i]);
        for (int i = 0; i < 2; i++) Assert.True(await action.Started.WaitAsync(TimeSpan.FromSeconds(10)));
        for (int i = 2; i < 5; i++) Assert.True(engine.AddAsync(items[i]).IsCompleted, $"item {i} fits in the queue");
        Assert.Equal(3, engine.QueuedItems);
        var sixth = engine.AddAsync(items[5]).AsTask();
        Assert.False(sixth.IsCompleted, "the sixth item waits for room: both workers are busy and the queue is full");

        items[0].Gate.SetResult(); // one item finishes, a worker takes the next, room for the sixth
        await sixth.WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var item in items) item.Gate.TrySetResult();
        engine.CompleteAdding();
        var results = await DrainAsync(engine);
        var summary = await engine.Completion;
        Assert.Equal(Enumerable.Range(0, 6), results.Cast<Done>().Select(o => o.Value).OrderBy(v => v));
        Assert.Equal(6, summary.ItemsTransferred);
        Assert.Equal(60, summary.BytesTransferred);
    }

    [Fact]
    public async Task An_item_may_yield_several_results_and_only_its_outcome_is_counted()
    {
        var action = new StepAction(partsPerItem: 3);
        using var engine = Engine(action, workers: 1);
        var item = new Item(7);
        item.Gate.SetResult();
        await engine.AddAsync(item);
        engine.CompleteAdding();
        var results = await DrainAsync(engine);
        Assert.Equal(new object[] { new Part(7), new Part(7), new Part(7), new Done(7, UploadStatus.Uploaded) }, results);
        Assert.Equal(1, (await engine.Completion).ItemsTransferred);
    }

    [Fact]
    public async Task A_planned_failure_and_a_thrown_one_become_failed_outcomes_and_the_run_goes_on()
    {
        var action = new StepAction { Throw = i => i.Value == 2 ? new IOException("disk gone") : null };
        using var engine = Engine(action, workers: 1);
        var planned = new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound, "missing", "/x");
        var items = new[] { new Item(1) { Failure = planned }, new Item(2), new Item(3) };
        foreach (var item in items) { item.Gate.SetResult(); await engine.AddAsync(item); }
        engine.CompleteAdding();
        var outcomes = (await DrainAsync(engine)).Cast<Done>().ToList();
        var summary = await engine.Completion;
        Assert.Same(planned, outcomes.Single(o => o.Value == 1).Error);
        Assert.Equal("disk gone", outcomes.Single(o => o.Value == 2).Error!.Message);
        Assert.Equal(UploadStatus.Uploaded, outcomes.Single(o => o.Value == 3).Status);
        Assert.Equal((1, 2), (summary.ItemsTransferred, summary.ItemsFailed));
    }

    [Fact]
    public async Task A_failure_every_item_would_share_stops_the_run_and_faults_completion()
    {
        var fatal = new S3TurboException(ErrorIds.InvalidCredentials, FailureKind.Authentication, "bad keys", null) { IsFatalForRun = true };
        var action = new StepAction { Throw = _ => fatal };
        using var engine = Engine(action, workers: 1);
        var first = new Item(1);
        first.Gate.SetResult();
        await engine.AddAsync(first);
        var drain = DrainAsync(engine);
        var thrown = await Assert.ThrowsAsync<S3TurboException>(() => engine.Completion);
        Assert.Same(fatal, thrown);
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => engine.AddAsync(new Item(2)).AsTask());
        await Assert.ThrowsAnyAsync<Exception>(() => drain);
    }

    [Fact]
    public async Task WhatIf_reaches_the_action_and_the_summary()
    {
        var action = new StepAction();
        using var engine = new TransferEngine<Item, Part, Done>(action, new RequestBudget(TestS3.Client(), 2),
            new TransferOptions { WhatIf = true }, CancellationToken.None);
        var item = new Item(1);
        item.Gate.SetResult();
        await engine.AddAsync(item);
        engine.CompleteAdding();
        Assert.Equal(UploadStatus.WouldUpload, ((Done)Assert.Single(await DrainAsync(engine))).Status);
        Assert.True((await engine.Completion).WhatIf);
    }

    [Fact]
    public async Task Progress_snapshots_follow_the_clock_and_a_last_one_comes_with_the_summary()
    {
        var clock = new FakeTimeProvider();
        var snapshots = new System.Collections.Concurrent.ConcurrentQueue<TransferProgress>();
        var reported = new SemaphoreSlim(0);
        var progress = new InlineProgress(p => { snapshots.Enqueue(p); reported.Release(); });
        var action = new StepAction();
        using var engine = Engine(action, workers: 1, clock: clock, progress: progress);
        var item = new Item(1);
        await engine.AddAsync(item);
        Assert.True(await action.Started.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(snapshots);
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.True(await reported.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((0, 1), (snapshots.Last().ItemsCompleted, snapshots.Last().ItemsDiscovered));
        item.Gate.SetResult();
        engine.CompleteAdding();
        await DrainAsync(engine);
        await engine.Completion;
        Assert.Equal(1, snapshots.Last().ItemsCompleted);
        Assert.True(snapshots.Last().InputComplete);
        Assert.Equal(2, snapshots.Count);
    }

    [Fact]
    public async Task The_budget_adapts_once_per_control_interval_of_the_clock()
    {
        var clock = new FakeTimeProvider();
        using var budget = new RequestBudget(TestS3.Client(), fixedConcurrency: null, initialConcurrency: 4, timeProvider: clock);
        var changes = new System.Collections.Concurrent.ConcurrentQueue<(int, int)>();
        var changed = new SemaphoreSlim(0);
        budget.ConcurrencyChanged += (before, after) => { changes.Enqueue((before, after)); changed.Release(); };
        using var stop = new CancellationTokenSource();
        var loop = budget.RunControllerAsync(TimeSpan.FromMilliseconds(500), stop.Token);
        // Saturate the budget: 4 requests hold every slot and a fifth waits.
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, 5).Select(_ => budget.RunAsync(_ => release.Task, 1 << 20, CancellationToken.None)).ToArray();
        Assert.Equal(4, budget.InFlight);
        release.SetResult(true);
        await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(changes);
        clock.Advance(TimeSpan.FromMilliseconds(500)); // one interval: work was done and requests waited → slow start doubles
        Assert.True(await changed.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((4, 8), changes.Single());
        Assert.Equal(8, budget.Concurrency);
        stop.Cancel();
        await loop;
    }

    sealed class InlineProgress : IProgress<TransferProgress>
    {
        readonly Action<TransferProgress> _report;
        public InlineProgress(Action<TransferProgress> report) => _report = report;
        public void Report(TransferProgress value) => _report(value);
    }
}
