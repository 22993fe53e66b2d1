namespace S3Turbo.Engine.Transfer;

/// <summary>A semaphore whose limit can change while requests are in flight: raising it releases waiters at
/// once, lowering it takes effect as in-flight requests finish (no request is interrupted).</summary>
public sealed class RequestLimiter
{
    readonly object _gate = new();
    readonly LinkedList<TaskCompletionSource<bool>> _waiters = new();
    int _limit;
    int _inFlight;

    public RequestLimiter(int limit)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), "The limit must be at least 1.");
        _limit = limit;
    }

    public int Limit { get { lock (_gate) return _limit; } }
    public int InFlight { get { lock (_gate) return _inFlight; } }
    public int Waiting { get { lock (_gate) return _waiters.Count; } }

    public void SetLimit(int limit)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), "The limit must be at least 1.");
        List<TaskCompletionSource<bool>> released;
        lock (_gate) { _limit = limit; released = DequeueRunnable(); }
        foreach (var waiter in released) waiter.TrySetResult(true);
    }

    /// <summary>Waits for a slot; dispose the lease to give it back.</summary>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (_gate)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_inFlight < _limit && _waiters.Count == 0) { _inFlight++; return new Lease(this); }
            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }
        using (cancellationToken.Register(() =>
        {
            bool removed;
            lock (_gate) { removed = node.List is not null; if (removed) _waiters.Remove(node); }
            if (removed) waiter.TrySetCanceled(cancellationToken);
        }))
        {
            await waiter.Task.ConfigureAwait(false); // the slot was counted for us when we were dequeued
        }
        return new Lease(this);
    }

    void Release()
    {
        List<TaskCompletionSource<bool>> released;
        lock (_gate) { _inFlight--; released = DequeueRunnable(); }
        foreach (var waiter in released) waiter.TrySetResult(true);
    }

    List<TaskCompletionSource<bool>> DequeueRunnable()
    {
        var released = new List<TaskCompletionSource<bool>>();
        while (_inFlight < _limit && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            _inFlight++;
            released.Add(first.Value);
        }
        return released;
    }

    public readonly struct Lease : IDisposable
    {
        readonly RequestLimiter? _owner;
        internal Lease(RequestLimiter owner) => _owner = owner;
        public void Dispose() => _owner?.Release();
    }
}
