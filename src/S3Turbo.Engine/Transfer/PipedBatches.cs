namespace S3Turbo.Engine.Transfer;

/// <summary>Piped objects gathered into batch items (keys of one DeleteObjects request, work items of one
/// SendMessageBatch): a batch is handed out when it is full or the next object belongs to another group (bucket),
/// and the rest at the end of the input.</summary>
public sealed class PipedBatches<TKey, TBatch>
{
    readonly int _size;
    readonly Func<string, IReadOnlyList<TKey>, TBatch> _batch;
    List<TKey> _pending = new();
    string? _group;

    /// <param name="size">Keys per batch.</param>
    /// <param name="batch">Makes a batch item of a group's keys (and may refuse it with an S3TurboException).</param>
    public PipedBatches(int size, Func<string, IReadOnlyList<TKey>, TBatch> batch) { _size = size; _batch = batch; }

    /// <summary>Adds one key; returns the batches it completed (none, or the previous group's, or a full one).</summary>
    public IReadOnlyList<TBatch> Add(string group, TKey key)
    {
        var done = new List<TBatch>();
        if (_group is not null && _group != group && Flush() is { } previous) done.Add(previous);
        _group = group;
        _pending.Add(key);
        if (_pending.Count >= _size && Flush() is { } full) done.Add(full);
        return done;
    }

    /// <summary>The keys still waiting, as one batch (null when there are none).</summary>
    public TBatch? Flush()
    {
        if (_pending.Count == 0 || _group is null) return default;
        var (group, keys) = (_group, _pending);
        _pending = new List<TKey>();
        return _batch(group, keys);
    }
}
