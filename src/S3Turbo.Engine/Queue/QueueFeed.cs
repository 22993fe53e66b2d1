namespace S3Turbo.Engine.Queue;

/// <summary>Feeds a run from a <see cref="WorkQueue"/>: each message's targets are planned into the run's items,
/// and the message is settled by the outcomes of exactly those items. It is deleted once every one of them has
/// succeeded and what they produced is stored (an archive's index object); if any failed, or its body names no
/// work that can be done, it is handed back for redelivery. Nothing is deleted before its work is durable, so a
/// worker killed at any point loses no message: its messages come back when their visibility ends.</summary>
public sealed class QueueFeed<TItem> : IAsyncDisposable
{
    readonly WorkQueue _queue;
    readonly Func<TItem, string> _keyOf;
    readonly object _gate = new();
    readonly Dictionary<string, Queue<MessageWork>> _pendingByKey = new(StringComparer.Ordinal);
    readonly List<Task> _finishing = new();
    Func<QueueMessage, S3TurboException, ValueTask> _report = (_, _) => default;
    CancellationToken _token;

    /// <param name="queue">The queue; the feed disposes it.</param>
    /// <param name="keyOf">The key an item's outcome is matched by (<see cref="Settle"/> is given the same key).</param>
    public QueueFeed(WorkQueue queue, Func<TItem, string> keyOf) { _queue = queue; _keyOf = keyOf; }

    /// <summary>Messages deleted and handed back so far.</summary>
    public long Completed, Released;

    /// <summary>Raised when a message is settled: true when it was deleted (its work done and stored), false when it
    /// was handed back.</summary>
    public event Action<QueueMessage, bool>? MessageSettled;

    /// <summary>The queue the feed takes its work from.</summary>
    public WorkQueue Queue => _queue;

    /// <summary>Receives and plans messages until the queue has been idle for its IdleTimeout; returns how many
    /// were received. <paramref name="report"/> is told about each message that fails as a whole (its body, its
    /// planning, its deletion); items that fail are reported by the run itself.</summary>
    public async Task<long> RunAsync(Func<QueueTarget, IAsyncEnumerable<TItem>> plan, Func<TItem, CancellationToken, ValueTask> add,
        Func<QueueMessage, S3TurboException, ValueTask> report, CancellationToken cancellationToken)
    {
        _report = report;
        _token = cancellationToken;
        long received = 0;
        await foreach (var message in _queue.ReceiveAsync(cancellationToken).ConfigureAwait(false))
        {
            received++;
            var work = new MessageWork(message);
            if (message.Error is { } invalid)
            {
                work.Failed = true;
                await report(message, invalid).ConfigureAwait(false);
            }
            foreach (var target in message.Targets)
            {
                try
                {
                    await foreach (var item in plan(target).WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        Expect(work, _keyOf(item));
                        await add(item, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (S3TurboException ex) when (!ex.IsFatalForRun && ex.Kind != FailureKind.Stopped)
                {
                    work.Failed = true;
                    await report(message, ex).ConfigureAwait(false);
                    break;
                }
            }
            bool ready;
            lock (_gate) { work.Planned = true; ready = work.Pending == 0; }
            if (ready) Finish(work);
        }
        await WhenFinishedAsync().ConfigureAwait(false);
        return received;
    }

    void Expect(MessageWork work, string key)
    {
        lock (_gate)
        {
            if (!_pendingByKey.TryGetValue(key, out var waiting)) _pendingByKey[key] = waiting = new Queue<MessageWork>();
            waiting.Enqueue(work);
            work.Pending++;
        }
    }

    /// <summary>An item's outcome: <paramref name="stored"/> completes when what it produced is durable.</summary>
    public void Settle(string key, bool failed, Task stored)
    {
        MessageWork work;
        bool ready;
        lock (_gate)
        {
            if (!_pendingByKey.TryGetValue(key, out var waiting)) return;
            work = waiting.Dequeue();
            if (waiting.Count == 0) _pendingByKey.Remove(key);
            work.Pending--;
            work.Failed |= failed;
            if (!stored.IsCompleted || stored.IsFaulted) work.Stored.Add(stored);
            ready = work.Planned && work.Pending == 0;
        }
        if (ready) Finish(work);
    }

    void Finish(MessageWork work)
    {
        var finishing = FinishAsync(work);
        lock (_finishing)
        {
            _finishing.RemoveAll(t => t.IsCompleted);
            _finishing.Add(finishing);
        }
    }

    async Task FinishAsync(MessageWork work)
    {
        bool failed = work.Failed;
        try { await Task.WhenAll(work.Stored).ConfigureAwait(false); }
        catch (Exception) { failed = true; } // the output's own failure is reported where it is written
        try
        {
            if (failed) { await _queue.ReleaseAsync(work.Message, _token).ConfigureAwait(false); Interlocked.Increment(ref Released); }
            else { await _queue.CompleteAsync(work.Message, _token).ConfigureAwait(false); Interlocked.Increment(ref Completed); }
            MessageSettled?.Invoke(work.Message, !failed);
        }
        catch (S3TurboException ex) { await _report(work.Message, ex).ConfigureAwait(false); }
        catch (OperationCanceledException) { /* stopping: DisposeAsync hands the message back */ }
    }

    async Task WhenFinishedAsync()
    {
        Task[] finishing;
        lock (_finishing) finishing = _finishing.ToArray();
        await Task.WhenAll(finishing).ConfigureAwait(false);
    }

    /// <summary>Waits for messages being settled, then hands back whatever is still held (a stop or a failure).</summary>
    public async ValueTask DisposeAsync()
    {
        try { await WhenFinishedAsync().ConfigureAwait(false); } catch (Exception) { /* already reported */ }
        await _queue.DisposeAsync().ConfigureAwait(false);
    }

    sealed class MessageWork
    {
        public MessageWork(QueueMessage message) => Message = message;
        public QueueMessage Message { get; }
        public int Pending;
        public bool Planned, Failed;
        public List<Task> Stored { get; } = new();
    }
}
