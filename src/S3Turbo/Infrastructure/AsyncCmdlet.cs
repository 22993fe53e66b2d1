using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading.Channels;
using S3Turbo.Engine;

namespace S3Turbo.Infrastructure;

/// <summary>Runs each block's work on the thread pool while the pipeline thread drains one bounded queue and
/// makes every Write*/ShouldProcess call itself. The queue lives as long as the cmdlet, so background work
/// (an engine's result pump) can write between blocks; writes wait until the pipeline thread has acted
/// (back-pressure). StopProcessing cancels one token that reaches every SDK call. Progress is throttled to
/// four updates a second under one ActivityId, and completed in a finally.</summary>
public abstract class AsyncCmdlet : PSCmdlet, IDisposable
{
    static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    static int _nextActivityId = 0x53_3000; // "S3" + a counter: distinct from other modules' activities
    readonly CancellationTokenSource _stop = new();
    readonly Channel<PipelineAction> _queue = Channel.CreateBounded<PipelineAction>(new BoundedChannelOptions(256) { SingleReader = true });
    readonly int _activityId = Interlocked.Increment(ref _nextActivityId);
    TransferProgress? _latestProgress;
    DateTimeOffset _lastProgressEmit = DateTimeOffset.MinValue;
    bool _progressShown;

    /// <summary>The clock that paces progress (tests step a fake one).</summary>
    protected virtual TimeProvider Clock => TimeProvider.System;

    /// <summary>Cancelled by Ctrl+C / StopProcessing, and when the pipeline thread hits a terminating error.</summary>
    protected CancellationToken StopToken => _stop.Token;

    // Overrides may do pipeline-thread-only work (session state, path resolution) first, then call base.
    protected override void BeginProcessing() => RunBlock(BeginProcessingAsync);
    protected override void ProcessRecord() => RunBlock(ProcessRecordAsync);
    protected sealed override void EndProcessing()
    {
        try { RunBlock(EndProcessingAsync); }
        finally { CompleteProgress(); }
    }
    protected sealed override void StopProcessing() => _stop.Cancel();

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // ---- callable from any thread ----

    protected async ValueTask WriteObjectAsync(object? value)
    {
        var action = new PipelineAction(PipelineActionKind.Output, value);
        await EnqueueAsync(action).ConfigureAwait(false);
        await action.Done.Task.ConfigureAwait(false);
    }

    protected async ValueTask WriteErrorAsync(ErrorRecord record)
    {
        var action = new PipelineAction(PipelineActionKind.Error, record);
        await EnqueueAsync(action).ConfigureAwait(false);
        await action.Done.Task.ConfigureAwait(false);
    }

    protected ValueTask WriteWarningAsync(string message) => EnqueueAsync(new PipelineAction(PipelineActionKind.Warning, message));
    protected ValueTask WriteVerboseAsync(string message) => EnqueueAsync(new PipelineAction(PipelineActionKind.Verbose, message));
    /// <summary>Never blocks; drops the message when the queue is full (for chatty background diagnostics).</summary>
    protected void TryWriteVerbose(string message) => _queue.Writer.TryWrite(new PipelineAction(PipelineActionKind.Verbose, message));

    protected async ValueTask<bool> ShouldProcessAsync(string target, string action)
    {
        var request = new PipelineAction(PipelineActionKind.ShouldProcess, (target, action));
        await EnqueueAsync(request).ConfigureAwait(false);
        return (bool)(await request.Done.Task.ConfigureAwait(false))!;
    }

    /// <summary>Keeps the latest snapshot; the pipeline thread shows it at most four times a second.</summary>
    protected void ReportProgress(TransferProgress progress) => Volatile.Write(ref _latestProgress, progress);

    /// <summary>Ends the command with an error that stops the run (missing bucket, bad credentials…). It is
    /// statement-terminating, as PowerShell's own cmdlets do; with -ErrorAction Stop it is raised as that
    /// preference's stop, so a script or runbook ends there (exit code 1) instead of going on to the next line.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    protected void ThrowRunFailure(S3TurboException ex)
    {
        var record = ToErrorRecord(ex);
        if (MyInvocation.BoundParameters.TryGetValue("ErrorAction", out var preference) && preference is ActionPreference.Stop)
            WriteError(record); // throws ActionPreferenceStopException
        ThrowTerminatingError(record);
        throw new InvalidOperationException("unreachable");
    }

    protected ErrorRecord ToErrorRecord(S3TurboException ex) =>
        new(ex, ex.ErrorId, ErrorCategoryFor(ex.Kind), ex.Target) { ErrorDetails = new ErrorDetails(ex.Message) };

    protected static ErrorCategory ErrorCategoryFor(FailureKind kind) => kind switch
    {
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.NotFound => ErrorCategory.ObjectNotFound,
        FailureKind.PermissionDenied => ErrorCategory.PermissionDenied,
        FailureKind.Authentication => ErrorCategory.AuthenticationError,
        FailureKind.InvalidData => ErrorCategory.InvalidData,
        FailureKind.Connection => ErrorCategory.ConnectionError,
        FailureKind.Throttled => ErrorCategory.LimitsExceeded,
        FailureKind.ServerError => ErrorCategory.ResourceUnavailable,
        FailureKind.Stopped => ErrorCategory.OperationStopped,
        FailureKind.ResourceBusy => ErrorCategory.ResourceBusy,
        FailureKind.NotSupported => ErrorCategory.NotImplemented,
        FailureKind.LimitExceeded => ErrorCategory.LimitsExceeded,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>Text for the progress bar; the typed snapshot also goes to the information stream.</summary>
    protected abstract string ProgressActivity { get; }

    async ValueTask EnqueueAsync(PipelineAction action)
    {
        try { await _queue.Writer.WriteAsync(action, _stop.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { throw new PipelineStoppedException(); }
    }

    // ---- pipeline thread only ----

    /// <summary>Carries out what background work has queued so far (results, errors, prompts) without waiting for
    /// more: for a record whose work was done on the pipeline thread itself, with no block to drain behind.</summary>
    protected void DrainPending()
    {
        try
        {
            while (_queue.Reader.TryRead(out var action)) Execute(action);
            EmitProgressIfDue(force: false);
        }
        catch
        {
            // As in RunBlock: a Write* threw (ErrorAction Stop, pipeline stopped), so the run stops and its work cleans up.
            _stop.Cancel();
            while (_queue.Reader.TryRead(out var action)) action.Done.TrySetCanceled();
            throw;
        }
    }

    void RunBlock(Func<CancellationToken, Task> block)
    {
        var work = Task.Run(() => block(_stop.Token));
        try
        {
            Drain(work);
        }
        catch
        {
            // A Write* threw on this thread (ErrorAction Stop, pipeline stopped): stop the work and let it clean up
            // (abort multipart uploads) before the exception leaves the cmdlet.
            _stop.Cancel();
            DiscardUntil(work);
            throw;
        }
        try { work.GetAwaiter().GetResult(); }
        catch (S3TurboException ex) when (ex.Kind != FailureKind.Stopped || !_stop.IsCancellationRequested)
        {
            ThrowRunFailure(ex);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (S3TurboException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    void Drain(Task until)
    {
        while (true)
        {
            while (_queue.Reader.TryRead(out var action)) Execute(action);
            EmitProgressIfDue(force: false);
            if (until.IsCompleted)
            {
                while (_queue.Reader.TryRead(out var action)) Execute(action);
                return;
            }
            Task.WaitAny(new Task[] { _queue.Reader.WaitToReadAsync().AsTask(), until }, ProgressInterval);
        }
    }

    void DiscardUntil(Task work)
    {
        while (!work.IsCompleted || _queue.Reader.TryPeek(out _))
        {
            while (_queue.Reader.TryRead(out var action)) action.Done.TrySetCanceled();
            work.Wait(50);
        }
        work.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // observed: the caller's exception wins
    }

    void Execute(PipelineAction action)
    {
        try
        {
            switch (action.Kind)
            {
                case PipelineActionKind.Output: WriteObject(action.Payload); action.Done.TrySetResult(null); break;
                case PipelineActionKind.Error: WriteError((ErrorRecord)action.Payload!); action.Done.TrySetResult(null); break;
                // Messages name keys and files, which may hold control characters: shown escaped (DisplayText).
                case PipelineActionKind.Warning: WriteWarning(DisplayText.Escape((string)action.Payload!)); break;
                case PipelineActionKind.Verbose: WriteVerbose(DisplayText.Escape((string)action.Payload!)); break;
                case PipelineActionKind.ShouldProcess:
                    var (target, what) = ((string, string))action.Payload!;
                    action.Done.TrySetResult(ShouldProcess(DisplayText.Escape(target), what));
                    break;
            }
        }
        catch (Exception ex)
        {
            action.Done.TrySetException(ex);
            throw;
        }
    }

    void EmitProgressIfDue(bool force)
    {
        var progress = Volatile.Read(ref _latestProgress);
        var now = Clock.GetUtcNow();
        if (progress is null || (!force && now - _lastProgressEmit < ProgressInterval)) return;
        _lastProgressEmit = now;
        var record = new ProgressRecord(_activityId, DisplayText.Escape(ProgressActivity), Describe(progress))
        {
            PercentComplete = progress.InputComplete ? progress.PercentComplete : -1,
            SecondsRemaining = progress.Remaining is { } r ? (int)Math.Min(int.MaxValue, r.TotalSeconds) : -1,
        };
        WriteProgress(record);
        _progressShown = true;
        // Runbooks without a progress bar can log these typed snapshots.
        WriteInformation(progress, new[] { "S3Turbo.Progress" });
    }

    static string Describe(TransferProgress p) =>
        $"{p.ItemsCompleted:N0}/{p.ItemsDiscovered:N0}{(p.InputComplete ? "" : "+")} items, " +
        $"{p.BytesCompleted / 1048576.0:N1}/{p.BytesDiscovered / 1048576.0:N1} MiB, {p.BytesPerSecond / 1048576.0:N1} MiB/s, " +
        $"{p.ItemsPerSecond:N0} items/s, {p.RequestsInFlight}/{p.Concurrency} requests" +
        (p.ItemsFailed > 0 ? $", {p.ItemsFailed:N0} failed" : "");

    void CompleteProgress()
    {
        if (!_progressShown) return;
        try
        {
            EmitProgressIfDue(force: true);
            WriteProgress(new ProgressRecord(_activityId, DisplayText.Escape(ProgressActivity), "Done") { RecordType = ProgressRecordType.Completed });
        }
        catch (Exception) { /* stopping or already failing: the original error must not be masked */ }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) _stop.Dispose();
    }

    enum PipelineActionKind { Output, Error, Warning, Verbose, ShouldProcess }

    sealed class PipelineAction
    {
        public PipelineAction(PipelineActionKind kind, object? payload) { Kind = kind; Payload = payload; }
        public PipelineActionKind Kind { get; }
        public object? Payload { get; }
        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
