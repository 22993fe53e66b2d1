using System.Runtime.CompilerServices;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Time.Testing;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Download;
using S3Turbo.Engine.Manifest;
using S3Turbo.Engine.Queue;
using S3Turbo.Engine.Remove;

namespace S3Turbo.Engine.Tests;

/// <summary>A run's host, as a test sees it: everything the run reports, in order.</summary>
public sealed class RecordingObserver<TPart> : IRunObserver<TPart>
{
    readonly object _gate = new();
    public List<ITransferOutcome> Outcomes { get; } = new();
    public List<TPart> Parts { get; } = new();
    public List<S3TurboException> Problems { get; } = new();
    public List<string> Warnings { get; } = new();
    public List<string> Verbose { get; } = new();

    public ValueTask OutcomeAsync(ITransferOutcome outcome, CancellationToken cancellationToken) { lock (_gate) Outcomes.Add(outcome); return default; }
    public ValueTask PartAsync(TPart part, CancellationToken cancellationToken) { lock (_gate) Parts.Add(part); return default; }
    public ValueTask ProblemAsync(S3TurboException problem, CancellationToken cancellationToken) { lock (_gate) Problems.Add(problem); return default; }
    public ValueTask WarningAsync(string message, CancellationToken cancellationToken) { lock (_gate) Warnings.Add(message); return default; }
    public ValueTask VerboseAsync(string message, CancellationToken cancellationToken) { lock (_gate) Verbose.Add(message); return default; }
    public void Notice(string message) { lock (_gate) Verbose.Add(message); }
}

/// <summary>The completion report's rows, for every result type: each says what it is about and its own status word.</summary>
public class ReportRowTests
{
    public static IEnumerable<object[]> Outcomes() => new[]
    {
        new object[] { new UploadResult { BucketName = "b", Key = "u.txt", Status = UploadStatus.Uploaded }, "b", "u.txt", null!, "Uploaded" },
        new object[] { new UploadResult { BucketName = "b", Key = "s.txt", Status = UploadStatus.Skipped }, "b", "s.txt", null!, "Skipped" },
        new object[] { new CopyResult { SourceBucket = "src", SourceKey = "c.txt", DestinationBucket = "dst", DestinationKey = "x/c.txt", Status = CopyStatus.Copied }, "src", "c.txt", null!, "Copied" },
        new object[] { new DownloadResult { BucketName = "b", Key = "d.txt", Path = "/tmp/d.txt", Status = DownloadStatus.Downloaded }, "b", "d.txt", null!, "Downloaded" },
        new object[] { new RemoveResult { BucketName = "b", Key = "r.txt", VersionId = "v1", Status = RemoveStatus.Deleted }, "b", "r.txt", "v1", "Deleted" },
        new object[] { new FileRemoveResult { Path = "/tmp/gone.txt", Status = RemoveStatus.Deleted }, "", "/tmp/gone.txt", null!, "Deleted" },
        new object[] { new TarArchiveResult { BucketName = "b", Key = "a.tar" }, "b", "a.tar", null!, "Indexed" },
        new object[] { new WorkItemResult { BucketName = "b", Key = "w.tar", Status = WorkItemStatus.Sent }, "b", "w.tar", null!, "Sent" },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void Each_result_type_brings_its_own_row(ITransferOutcome outcome, string bucket, string key, string? version, string message)
    {
        var row = ReportRow.For(outcome);
        Assert.Equal((bucket, key, version, true, 200, (string?)null, message), (row.BucketName, row.Key, row.VersionId, row.Succeeded, row.HttpStatusCode, row.ErrorCode, row.ResultMessage));
    }

    [Fact]
    public void A_failed_outcome_gives_its_ErrorId_the_store_status_and_its_message()
    {
        var denied = new S3TurboException(ErrorIds.AccessDenied, FailureKind.PermissionDenied, "Access denied to s3://b/k.", "k",
            new Amazon.S3.AmazonS3Exception("denied") { StatusCode = System.Net.HttpStatusCode.Forbidden });
        var row = ReportRow.For(new CopyResult { SourceBucket = "b", SourceKey = "k", Status = CopyStatus.Failed, Error = denied });
        Assert.Equal((false, 403, ErrorIds.AccessDenied, "Access denied to s3://b/k."), (row.Succeeded, row.HttpStatusCode, row.ErrorCode, row.ResultMessage));
        var missing = new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound, "gone", "/x");
        Assert.Equal(404, ReportRow.For(new UploadResult { Path = "/x", Status = UploadStatus.Failed, Error = missing }).HttpStatusCode);
    }
}

/// <summary>Runs as a whole, without PowerShell: the local mirror as a removal run of its own, and queue settlement.</summary>
public class RunTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public RunTests(BucketFixture s3) => _s3 = s3;

    async Task PutAsync(string key, string body) => await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, ContentBody = body });

    async Task<(TransferSummary Summary, RecordingObserver<NoPart> Observer)> ReceiveAsync(string prefix, string destination, bool whatIf, string? report = null)
    {
        var (engine, download) = PrefixDownload.Start(_s3.S3, new DownloadOptions { Destination = destination, WhatIf = whatIf }, default);
        var observer = new RecordingObserver<NoPart>();
        await using var run = await TransferRun<DownloadItem, NoPart, DownloadResult>.StartAsync(engine, new RunOptions
        {
            Mirror = new LocalMirrorTarget(LocalPaths.Root(destination), new WildcardFilter(null, null), null), ReportLocation = report, JobId = "local-mirror",
        }, observer, null, default);
        await run.AddAsync(download.PlanPrefixAsync(_s3.Bucket, prefix, default), null, default);
        return (await run.CompleteAsync(default), observer);
    }

    static void WriteFile(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public async Task A_local_mirror_is_a_removal_run_counted_listed_by_WhatIf_and_written_to_the_report()
    {
        await PutAsync("lm/a.txt", "a");
        await PutAsync("lm/sub/b.txt", "b");
        using var dir = new TempDir();
        var into = Path.Combine(dir.Path, "into");
        WriteFile(Path.Combine(into, "extra.txt"), "local only");
        WriteFile(Path.Combine(into, "sub/extra2.txt"), "local only");

        var (dry, dryObserver) = await ReceiveAsync("lm/", into, whatIf: true);
        Assert.Equal(2, dry.ItemsDeleted);
        var wouldGo = dryObserver.Outcomes.OfType<FileRemoveResult>().ToList();
        Assert.Equal(2, wouldGo.Count);
        Assert.All(wouldGo, r => Assert.Equal(RemoveStatus.WouldDelete, r.Status));
        Assert.Equal("Remove", ((ITransferOutcome)wouldGo[0]).WhatIf?.Action);
        Assert.True(File.Exists(Path.Combine(into, "extra.txt")), "a dry run removes nothing");

        var reportDir = Path.Combine(dir.Path, "report");
        var (summary, observer) = await ReceiveAsync("lm/", into, whatIf: false, reportDir);
        Assert.Equal((2, 2, 0L), (summary.ItemsTransferred, summary.ItemsDeleted, summary.ItemsFailed));
        Assert.Equal(new[] { "a.txt", "sub/b.txt" }, Directory.GetFiles(into, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(into, f).Replace('\\', '/')).OrderBy(f => f));
        Assert.Equal(2, observer.Outcomes.OfType<FileRemoveResult>().Count(r => r.Status == RemoveStatus.Deleted));
        var rows = File.ReadAllText(Directory.GetFiles(Path.Combine(reportDir, "job-local-mirror", "results"), "*.csv").Single());
        Assert.Contains(Path.Combine(into, "extra.txt").Replace(Path.DirectorySeparatorChar, '/').TrimStart('/'), rows.Replace("%2F", "/"));
        Assert.Contains(",succeeded,200,,Deleted", rows);
        Assert.Contains(",succeeded,200,,Downloaded", rows);
    }

    [Fact]
    public async Task A_local_mirror_deletes_nothing_after_a_failure_and_says_why()
    {
        await PutAsync("lmf/ok.txt", "ok");
        await PutAsync("lmf/../escapes.txt", "bad");
        using var dir = new TempDir();
        var into = Path.Combine(dir.Path, "into");
        WriteFile(Path.Combine(into, "keep.txt"), "local only");
        var (summary, observer) = await ReceiveAsync("lmf/", into, whatIf: false);
        Assert.Equal((1L, 0L), (summary.ItemsFailed, summary.ItemsDeleted));
        Assert.True(File.Exists(Path.Combine(into, "keep.txt")));
        Assert.Contains(observer.Warnings, w => w.Contains("-Delete removed nothing") && w.Contains("failed"));
        Assert.Empty(observer.Outcomes.OfType<FileRemoveResult>());
    }

    // ---- queue settlement, against moto's SQS ----

    sealed class Job : TransferItem
    {
        public Job(string key) => Key = key;
        public string Key { get; }
        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Each job waits for its gate; a key starting with "bad" fails.</summary>
    sealed class Jobs : TransferAction<Job, UploadResult>
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, Job> Started { get; } = new();
        public SemaphoreSlim Arrived { get; } = new(0);
        public override string Operation => "Job";
        public override string FallbackErrorId => ErrorIds.UploadFailed;
        public override long SizeOf(Job item) => 1;
        public override string? SettlementKey(Job item) => item.Key;
        public override string? SettlementKey(UploadResult result) => result.Key;

        public override async IAsyncEnumerable<UploadResult> RunAsync(Job item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Started[item.Key] = item;
            Arrived.Release();
            await item.Gate.Task.WaitAsync(cancellationToken);
            if (item.Key.StartsWith("bad", StringComparison.Ordinal)) throw new IOException("the job failed");
            yield return new UploadResult { BucketName = "b", Key = item.Key, Status = UploadStatus.Uploaded };
        }

        public override IEnumerable<UploadResult> Failed(Job item, S3TurboException failure, TimeSpan elapsed) =>
            new[] { new UploadResult { BucketName = "b", Key = item.Key, Status = UploadStatus.Failed, Error = failure } };

        public override S3TurboException Classify(Exception exception, Job item) =>
            new(ErrorIds.UploadFailed, FailureKind.Unknown, exception.Message, item.Key, exception);
    }

    /// <summary>An output whose items are stored when the test says so.</summary>
    sealed class GatedOutput : IRunOutput<NoPart, UploadResult>
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> Stored { get; } = new();
        public ValueTask AcceptPartAsync(NoPart part, CancellationToken cancellationToken) => default;
        public ValueTask AcceptOutcomeAsync(UploadResult outcome, CancellationToken cancellationToken) => default;
        public Task StoredAsync(UploadResult outcome) => Stored.GetOrAdd(outcome.Key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        public Task<TransferSummary> CompleteAsync(TransferSummary summary, CancellationToken cancellationToken) => Task.FromResult(summary);
        public ValueTask DisposeAsync() => default;
    }

    [Fact]
    public async Task A_queue_message_is_deleted_only_once_its_output_is_stored_and_a_failed_item_hands_its_message_back()
    {
        using var sqs = new AmazonSQSClient(TestS3.AccessKey, TestS3.SecretKey, new AmazonSQSConfig
            { ServiceURL = Environment.GetEnvironmentVariable("S3TURBO_TEST_SQS_ENDPOINT") ?? "http://127.0.0.1:5055", AuthenticationRegion = "us-east-1" });
        // A failed message goes to the dead-letter queue on its next delivery, so it does not come back to this worker.
        var name = "xunit-run-" + Guid.NewGuid().ToString("N")[..10];
        var deadLetters = (await sqs.CreateQueueAsync(name + "-dlq")).QueueUrl;
        var deadLetterArn = (await sqs.GetQueueAttributesAsync(deadLetters, new List<string> { "QueueArn" })).Attributes["QueueArn"];
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name,
            Attributes = new Dictionary<string, string> { ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{deadLetterArn}\",\"maxReceiveCount\":\"1\"}}" },
        })).QueueUrl;
        try
        {
            foreach (var key in new[] { "good", "bad" })
                await sqs.SendMessageAsync(url, WorkItem.Write(new QueueTarget(QueueTargetKind.Object, "bucket", key)));
            using var connection = S3Connection.Create(new S3ConnectionRequest { AccessKey = TestS3.AccessKey, SecretKey = TestS3.SecretKey, EndpointUrl = TestS3.Endpoint, Region = "us-east-1" });
            var clock = new FakeTimeProvider();
            var jobs = new Jobs();
            var output = new GatedOutput();
            var observer = new RecordingObserver<NoPart>();
            var engine = new TransferOptions { TimeProvider = clock }.Start(connection.Client, _ => jobs, default);
            await using var run = await TransferRun<Job, NoPart, UploadResult>.StartAsync(engine, new RunOptions(), observer, output, default);
            var feeding = run.AddQueueAsync(connection, new QueueWorkerOptions { QueueUrl = url, IdleTimeout = TimeSpan.FromSeconds(30), HeldPollWait = TimeSpan.Zero },
                target => Plan(target), default);
            for (int i = 0; i < 2; i++) Assert.True(await jobs.Arrived.WaitAsync(TimeSpan.FromSeconds(30)));
            var settled = System.Threading.Channels.Channel.CreateUnbounded<(string Key, bool Deleted)>();
            run.Feed!.MessageSettled += (message, deleted) => settled.Writer.TryWrite((message.Targets[0].Key, deleted));

            jobs.Started["good"].Gate.SetResult();
            jobs.Started["bad"].Gate.SetResult();
            // The failed item's message is handed back; the good one waits for its output to be stored.
            Assert.Equal(("bad", false), await settled.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.False(settled.Reader.TryRead(out _), "the good message must wait for its output");
            Assert.Equal(0, run.Budget.RequestCounts.GetValueOrDefault("DeleteMessage"));
            output.Stored["good"].SetResult();
            Assert.Equal(("good", true), await settled.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(1, run.Budget.RequestCounts["DeleteMessage"]);
            Assert.Equal(1, run.Budget.RequestCounts["ChangeMessageVisibility"]);

            clock.Advance(TimeSpan.FromSeconds(30)); // idle: the worker stops taking work
            await feeding.WaitAsync(TimeSpan.FromSeconds(30));
            var summary = await run.CompleteAsync(default);
            Assert.Equal((1L, 1L), (summary.ItemsTransferred, summary.ItemsFailed));
            Assert.True(summary.RequestsByOperation["ReceiveMessage"] >= 1, "the queue's requests are counted in the run's summary");
        }
        finally
        {
            await sqs.DeleteQueueAsync(url);
            await sqs.DeleteQueueAsync(deadLetters);
        }

        static async IAsyncEnumerable<Job> Plan(QueueTarget target)
        {
            await Task.CompletedTask;
            yield return new Job(target.Key);
        }
    }
}
