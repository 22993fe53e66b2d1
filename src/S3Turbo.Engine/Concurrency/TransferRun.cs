using System.Diagnostics;

namespace S3Turbo.Engine.Concurrency;

/// <summary>What every item transfer (an upload of files, a copy of objects) runs on: the bounded item pipeline,
/// the request scheduler with its control loop, running counters, and periodic progress snapshots. Completion
/// gives the summary once every item is done, after the background loops have stopped and a last snapshot went out.</summary>
public sealed class TransferRun<TIn, TOut>
{
    readonly string _operation;
    readonly bool _whatIf;
    readonly IProgress<TransferProgress>? _progress;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly CancellationTokenSource _background;

    public TransferRun(string operation, RequestScheduler scheduler, int workers, int queueCapacity, Func<TIn, CancellationToken, Task<TOut>> process,
        TimeSpan controlInterval, IProgress<TransferProgress>? progress, TimeSpan progressInterval, bool whatIf, CancellationToken cancellationToken)
    {
        _operation = operation;
        _whatIf = whatIf;
        _progress = progress;
        Scheduler = scheduler;
        Pipeline = new ItemPipeline<TIn, TOut>(workers, queueCapacity, 1024, process, cancellationToken);
        _background = CancellationTokenSource.CreateLinkedTokenSource(Pipeline.Token);
        var controller = scheduler.RunControllerAsync(controlInterval, _background.Token);
        var reporting = progress is null ? Task.CompletedTask : ProgressLoop.RunAsync(progress, GetProgress, progressInterval, _background.Token);
        Completion = FinishAsync(controller, reporting);
    }

    public RequestScheduler Scheduler { get; }
    public ItemPipeline<TIn, TOut> Pipeline { get; }
    public TransferCounters Counters { get; } = new();
    public Task<TransferSummary> Completion { get; }

    public TransferProgress GetProgress() => Counters.Snapshot(_operation, _clock.Elapsed, Scheduler);

    public void CompleteAdding() { Counters.InputComplete = true; Pipeline.CompleteAdding(); }

    async Task<TransferSummary> FinishAsync(Task controller, Task reporting)
    {
        try { await Pipeline.Completion.ConfigureAwait(false); }
        finally
        {
            _background.Cancel();
            await Task.WhenAll(controller, reporting).ConfigureAwait(false);
            _progress?.Report(GetProgress());
            Scheduler.Dispose();
        }
        return Counters.Summary(_operation, _clock.Elapsed, Scheduler, _whatIf);
    }
}

/// <summary>Reports a fresh snapshot at a fixed interval until cancelled.</summary>
public static class ProgressLoop
{
    public static async Task RunAsync<T>(IProgress<T> progress, Func<T> snapshot, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                progress.Report(snapshot());
            }
        }
        catch (OperationCanceledException) { }
    }
}
