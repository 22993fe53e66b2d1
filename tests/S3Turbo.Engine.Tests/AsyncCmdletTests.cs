using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Microsoft.Extensions.Time.Testing;
using S3Turbo.Infrastructure;

namespace S3Turbo.Engine.Tests;

/// <summary>What a test reads back from the test cmdlet's background work.</summary>
public sealed class AsyncProbe
{
    public int WritesReturned;
    public volatile bool StopTokenCancelled;
    public volatile bool CleanedUp;
    /// <summary>Set when the stop has reached the cmdlet's token.</summary>
    public ManualResetEventSlim StopSeen { get; } = new();
}

/// <summary>A cmdlet on the async base: writes Count objects from the thread pool, reporting a progress snapshot
/// and stepping the fake clock by 10 ms before each write.</summary>
[Cmdlet("Test", "AsyncWrites")]
public sealed class TestAsyncWritesCommand : AsyncCmdlet
{
    [Parameter] public int Count { get; set; }
    [Parameter] public FakeTimeProvider TestClock { get; set; } = new();
    [Parameter] public AsyncProbe Probe { get; set; } = new();

    protected override TimeProvider Clock => TestClock;
    protected override string ProgressActivity => "Test-AsyncWrites";

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        using var seen = cancellationToken.Register(() => Probe.StopSeen.Set());
        try
        {
            for (int i = 0; i < Count; i++)
            {
                ReportProgress(new TransferProgress { Operation = "Test", ItemsCompleted = i, ItemsDiscovered = Count });
                TestClock.Advance(TimeSpan.FromMilliseconds(10));
                await WriteObjectAsync(i);
                Interlocked.Increment(ref Probe.WritesReturned);
            }
        }
        finally
        {
            Probe.StopTokenCancelled = cancellationToken.IsCancellationRequested;
            await Task.Yield(); // clean-up that is still running when the stop arrives (aborting uploads, say)
            Probe.CleanedUp = true;
        }
    }
}

/// <summary>The async cmdlet base in a real PowerShell runspace: progress pacing and completion, back-pressure of
/// writes, and a stop that arrives while a write waits.</summary>
public class AsyncCmdletTests
{
    static System.Management.Automation.PowerShell Host()
    {
        var state = InitialSessionState.CreateDefault2();
        state.Commands.Add(new SessionStateCmdletEntry("Test-AsyncWrites", typeof(TestAsyncWritesCommand), null));
        var ps = System.Management.Automation.PowerShell.Create(state);
        return ps;
    }

    static PSDataCollection<PSObject> Input()
    {
        var input = new PSDataCollection<PSObject>();
        input.Complete();
        return input;
    }

    [Fact]
    public void Progress_is_shown_at_most_four_times_a_second_under_one_activity_and_completed_at_the_end()
    {
        using var ps = Host();
        ps.AddCommand("Test-AsyncWrites").AddParameter("Count", 100); // 100 writes, 10 ms of fake time each
        var output = ps.Invoke(Input().ToList());
        Assert.Equal(100, output.Count);
        var records = ps.Streams.Progress.ToList();
        var processing = records.Where(r => r.RecordType == ProgressRecordType.Processing).ToList();
        // 1 s of clock: the first snapshot at once, then one per 250 ms (4 in all), plus the last one forced at the end.
        Assert.Equal(5, processing.Count);
        Assert.Equal(ProgressRecordType.Completed, records[^1].RecordType);
        Assert.Single(records.Select(r => r.ActivityId).Distinct());
        Assert.Contains("99/100", processing[^1].StatusDescription);
    }

    [Fact]
    public void A_write_returns_only_after_the_pipeline_thread_has_written_it()
    {
        using var ps = Host();
        var probe = new AsyncProbe();
        var returnedWhenWritten = new List<int>();
        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (_, _) => returnedWhenWritten.Add(Volatile.Read(ref probe.WritesReturned));
        ps.AddCommand("Test-AsyncWrites").AddParameter("Count", 50).AddParameter("Probe", probe);
        ps.Invoke(Input(), output);
        // Object i reached the pipeline while write i had not returned yet, and after write i-1 had.
        Assert.Equal(Enumerable.Range(0, 50), returnedWhenWritten);
        Assert.Equal(50, probe.WritesReturned);
    }

    [Fact]
    public void A_stop_during_a_write_cancels_the_token_and_waits_for_the_clean_up()
    {
        using var ps = Host();
        var probe = new AsyncProbe();
        var output = new PSDataCollection<PSObject>();
        // The stop arrives while the third write is on the pipeline thread, which waits until the stop has reached the
        // cmdlet's token: the write of the fourth object can then only see a stopped pipeline.
        output.DataAdded += (_, e) =>
        {
            if (e.Index != 2) return;
            ps.BeginStop(null, null);
            Assert.True(probe.StopSeen.Wait(TimeSpan.FromSeconds(30)), "StopProcessing cancels the token");
        };
        ps.AddCommand("Test-AsyncWrites").AddParameter("Count", 1_000_000).AddParameter("Probe", probe);
        try { ps.Invoke(Input(), output); } catch (PipelineStoppedException) { /* how a stopped Invoke may end */ }
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        Assert.True(probe.StopTokenCancelled, "the work's token is cancelled by the stop");
        Assert.True(probe.CleanedUp, "Invoke returns only after the work has finished cleaning up");
        Assert.Equal(3, output.Count);
    }
}
