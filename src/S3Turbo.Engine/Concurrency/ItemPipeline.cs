using System.Threading.Channels;

namespace S3Turbo.Engine.Concurrency;

/// <summary>Bounded stages: an input channel of items, N workers, a results channel. Adding blocks when the
/// input is full and workers block when nobody reads results, so memory stays flat however long the input is.
/// A fatal failure (one every later item would share, such as bad credentials) stops the workers and faults
/// Completion; per-item failures are results.</summary>
public sealed class ItemPipeline<TIn, TOut>
{
    readonly Channel<TIn> _input;
    readonly Channel<TOut> _output;
    readonly CancellationTokenSource _stop;
    readonly Task _workers;
    Exception? _fatal;

    public ItemPipeline(int workers, int inputCapacity, int outputCapacity,
        Func<TIn, CancellationToken, Task<TOut>> process, CancellationToken cancellationToken)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers));
        _input = Channel.CreateBounded<TIn>(new BoundedChannelOptions(inputCapacity) { SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });
        _output = Channel.CreateBounded<TOut>(new BoundedChannelOptions(outputCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Token = _stop.Token;
        _workers = Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(process))));
        Completion = FinishAsync();
    }

    /// <summary>Cancelled when the caller cancels or a fatal failure stops the run.</summary>
    public CancellationToken Token { get; }
    public ChannelReader<TOut> Results => _output.Reader;
    /// <summary>Completes when every item is processed and every result has been handed to the results channel.</summary>
    public Task Completion { get; }
    public int QueuedItems => _input.Reader.CanCount ? _input.Reader.Count : -1;

    public ValueTask AddAsync(TIn item, CancellationToken cancellationToken = default) => _input.Writer.WriteAsync(item, cancellationToken);
    public bool TryAdd(TIn item) => _input.Writer.TryWrite(item);
    public void CompleteAdding() => _input.Writer.TryComplete();

    /// <summary>Stops the run because of a failure every later item would share.</summary>
    public void Fail(Exception fatal)
    {
        Interlocked.CompareExchange(ref _fatal, fatal, null);
        _input.Writer.TryComplete();
        _stop.Cancel();
    }

    async Task WorkAsync(Func<TIn, CancellationToken, Task<TOut>> process)
    {
        try
        {
            while (await _input.Reader.WaitToReadAsync(Token).ConfigureAwait(false))
            {
                while (_input.Reader.TryRead(out var item))
                {
                    Token.ThrowIfCancellationRequested();
                    var result = await process(item, Token).ConfigureAwait(false);
                    await _output.Writer.WriteAsync(result, Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested) { }
        catch (Exception ex) { Fail(ex); }
    }

    async Task FinishAsync()
    {
        try { await _workers.ConfigureAwait(false); }
        finally
        {
            // The linked source is not disposed: Fail() may still be called by a late worker.
            _output.Writer.TryComplete(_fatal);
        }
        if (_fatal is not null) throw _fatal;
        Token.ThrowIfCancellationRequested();
    }
}
