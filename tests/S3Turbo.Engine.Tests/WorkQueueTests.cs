using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Time.Testing;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Queue;

namespace S3Turbo.Engine.Tests;

public class WorkQueueTests
{
    [Fact]
    public void An_S3_event_names_each_created_object_with_its_key_URL_decoded_and_ignores_other_events()
    {
        const string body = """
            {"Records":[
              {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"scans"},"object":{"key":"2024/a+b%2Bc%C3%BC.tar","size":10,"eTag":"x"}}},
              {"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"scans"},"object":{"key":"gone.tar"}}},
              {"eventSource":"aws:s3","eventName":"ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"scans"},"object":{"key":"big.tar"}}}
            ]}
            """;
        var targets = QueueMessageBodies.Parse(body, "m1");
        Assert.Equal(new[] { "2024/a b+cü.tar", "big.tar" }, targets.Select(t => t.Key));
        Assert.All(targets, t => { Assert.Equal(QueueTargetKind.Object, t.Kind); Assert.Equal("scans", t.BucketName); Assert.Null(t.ETag); });
    }

    [Fact]
    public void SNS_and_EventBridge_envelopes_are_opened_and_a_test_event_names_no_work()
    {
        var inner = """{"Records":[{"eventName":"ObjectCreated:Copy","s3":{"bucket":{"name":"b"},"object":{"key":"k%20x"}}}]}""";
        var sns = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["Type"] = "Notification", ["Message"] = inner });
        Assert.Equal("k x", Assert.Single(QueueMessageBodies.Parse(sns, "m")).Key);
        var bridge = """{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"raw key+"}}}""";
        Assert.Equal("raw key+", Assert.Single(QueueMessageBodies.Parse(bridge, "m")).Key);
        Assert.Empty(QueueMessageBodies.Parse("""{"source":"aws.s3","detail-type":"Object Deleted","detail":{}}""", "m"));
        Assert.Empty(QueueMessageBodies.Parse("""{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}""", "m"));
    }

    [Theory]
    [InlineData(QueueTargetKind.Object, "data/ünï cødé.tar", 42L, "abc", "Get-S3TarIndex")]
    [InlineData(QueueTargetKind.Prefix, "data/", null, null, null)]
    [InlineData(QueueTargetKind.Manifest, "s3://inv/manifest.json", null, null, "Copy-S3Prefix")]
    public void A_work_item_reads_back_as_written(QueueTargetKind kind, string key, long? size, string? etag, string? operation)
    {
        var target = new QueueTarget(kind, kind == QueueTargetKind.Manifest ? "" : "my-bucket", key, size, etag, operation);
        Assert.Equal(target, Assert.Single(QueueMessageBodies.Parse(WorkItem.Write(target), "m")));
    }

    [Theory]
    [InlineData("not json", "is not JSON")]
    [InlineData("[1,2]", "is not a JSON object")]
    [InlineData("""{"hello":"world"}""", "is neither an S3 event notification nor an S3Turbo work item")]
    [InlineData("""{"s3turbo":2,"bucket":"b","key":"k"}""", "unknown version")]
    [InlineData("""{"s3turbo":1,"bucket":"Bad_Bucket","key":"k"}""", "without a valid \"bucket\"")]
    [InlineData("""{"s3turbo":1,"bucket":"good"}""", "neither \"key\", \"prefix\" nor \"manifest\"")]
    [InlineData("""{"Records":[{"eventName":"ObjectCreated:Put"}]}""", "record 0 without its s3 part")]
    public void A_body_that_names_no_valid_work_is_InvalidWorkItem_naming_the_message(string body, string reason)
    {
        var error = Assert.Throws<S3TurboException>(() => QueueMessageBodies.Parse(body, "msg-7"));
        Assert.Equal(ErrorIds.InvalidWorkItem, error.ErrorId);
        Assert.StartsWith("Queue message msg-7 ", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://x/1/q")]
    [InlineData("https://sqs.us-east-1.amazonaws.com/")]
    public void A_queue_URL_that_is_not_one_is_refused(string url)
    {
        var error = Assert.Throws<S3TurboException>(() => new QueueWorkerOptions { QueueUrl = url }.Validate());
        Assert.Equal(ErrorIds.InvalidQueueSetting, error.ErrorId);
    }

    // ---- against moto's SQS (S3TURBO_TEST_SQS_ENDPOINT, started by the test command) ----

    static string SqsEndpoint => Environment.GetEnvironmentVariable("S3TURBO_TEST_SQS_ENDPOINT") ?? "http://127.0.0.1:5055";

    static AmazonSQSClient Sqs() => new(TestS3.AccessKey, TestS3.SecretKey, new AmazonSQSConfig { ServiceURL = SqsEndpoint, AuthenticationRegion = "us-east-1" });

    static async Task<string> NewQueueAsync(AmazonSQSClient sqs, int visibilitySeconds) =>
        (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = "xunit-" + Guid.NewGuid().ToString("N")[..12],
            Attributes = new Dictionary<string, string> { ["VisibilityTimeout"] = visibilitySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        })).QueueUrl;

    static S3Connection Connection() => S3Connection.Create(new S3ConnectionRequest
    {
        AccessKey = TestS3.AccessKey, SecretKey = TestS3.SecretKey, EndpointUrl = TestS3.Endpoint, Region = "us-east-1",
    });

    [Fact]
    public void The_back_off_of_a_handed_back_message_grows_with_its_deliveries_up_to_the_visibility_timeout()
    {
        var options = new QueueWorkerOptions { QueueUrl = "http://127.0.0.1:1/000000000000/q", VisibilityTimeout = TimeSpan.FromSeconds(7) };
        Assert.Equal(new[] { 2.0, 4.0, 6.0, 7.0, 7.0 }, new[] { 1, 2, 3, 4, 10 }.Select(n => WorkQueue.RetryDelay(options, n).TotalSeconds));
    }

    static async Task<(int Visible, int Hidden)> CountAsync(AmazonSQSClient sqs, string url)
    {
        var attributes = (await sqs.GetQueueAttributesAsync(url, new List<string> { "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible" })).Attributes;
        return (int.Parse(attributes["ApproximateNumberOfMessages"]), int.Parse(attributes["ApproximateNumberOfMessagesNotVisible"]));
    }

    /// <summary>The worker's clock is a fake one: the test steps it past each third of the visibility timeout and
    /// sees one extension request each time (moto keeps real time, so its own timeout never runs out here).</summary>
    [Fact]
    public async Task A_held_message_is_extended_every_third_of_its_visibility_timeout_and_deleted_once_completed()
    {
        using var sqs = Sqs();
        var url = await NewQueueAsync(sqs, 30);
        try
        {
            await sqs.SendMessageAsync(url, WorkItem.Write(new QueueTarget(QueueTargetKind.Object, "bkt", "k")));
            using var connection = Connection();
            using var budget = new RequestBudget(connection.Client, 4);
            var clock = new FakeTimeProvider();
            await using var queue = WorkQueue.Open(connection, budget, new QueueWorkerOptions { QueueUrl = url, VisibilityTimeout = TimeSpan.FromSeconds(30), IdleTimeout = TimeSpan.Zero }, clock);
            var extensions = Channel.CreateUnbounded<int>();
            queue.VisibilityExtended += n => extensions.Writer.TryWrite(n);
            await using var messages = queue.ReceiveAsync(CancellationToken.None).GetAsyncEnumerator();
            Assert.True(await messages.MoveNextAsync());
            var held = messages.Current;
            Assert.Equal("k", Assert.Single(held.Targets).Key);
            Assert.Equal(1, held.ReceiveCount);
            for (int third = 1; third <= 3; third++)
            {
                Assert.False(extensions.Reader.TryRead(out _), "no extension before the clock reaches the next third");
                clock.Advance(TimeSpan.FromSeconds(10));
                Assert.Equal(1, await extensions.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
                Assert.Equal(third, budget.RequestCounts["ChangeMessageVisibilityBatch"]);
            }
            Assert.Equal((0, 1), await CountAsync(sqs, url));
            await queue.CompleteAsync(held, CancellationToken.None);
            Assert.Equal(0, queue.Held);
            Assert.Equal((0, 0), await CountAsync(sqs, url));
            Assert.Equal(1, budget.RequestCounts["DeleteMessage"]);
            Assert.True(budget.RequestCounts["ReceiveMessage"] >= 1);
        }
        finally { await sqs.DeleteQueueAsync(url); }
    }

    [Fact]
    public async Task A_released_message_is_hidden_for_its_back_off_one_handed_back_returns_counted_and_the_worker_stops_when_idle()
    {
        using var sqs = Sqs();
        var url = await NewQueueAsync(sqs, 30);
        try
        {
            await sqs.SendMessageAsync(url, "poison");
            await sqs.SendMessageAsync(url, "poison too");
            using var connection = Connection();
            using var budget = new RequestBudget(connection.Client, 4);
            var clock = new FakeTimeProvider();
            var options = new QueueWorkerOptions { QueueUrl = url, IdleTimeout = TimeSpan.FromSeconds(6), MessagesInFlight = 1, HeldPollWait = TimeSpan.Zero };
            await using (var first = WorkQueue.Open(connection, budget, options, clock))
            {
                await using var messages = first.ReceiveAsync(CancellationToken.None).GetAsyncEnumerator();
                Assert.True(await messages.MoveNextAsync());
                var message = messages.Current;
                Assert.Equal(ErrorIds.InvalidWorkItem, message.Error?.ErrorId);
                await first.ReleaseAsync(message, CancellationToken.None); // hidden for its back-off (2 s), not visible at once
                Assert.Equal(1, budget.RequestCounts["ChangeMessageVisibility"]);
                Assert.True(await messages.MoveNextAsync());
                Assert.Equal(1, messages.Current.ReceiveCount);
                // Disposed with a message held: it is handed back at once.
            }
            await using var second = WorkQueue.Open(connection, budget, options, clock);
            var deliveries = new List<int>();
            await foreach (var message in second.ReceiveAsync(CancellationToken.None))
            {
                deliveries.Add(message.ReceiveCount);
                await second.CompleteAsync(message, CancellationToken.None);
                clock.Advance(TimeSpan.FromSeconds(6)); // idle from here on: the next empty receive ends the loop
            }
            Assert.Contains(2, deliveries);
        }
        finally { await sqs.DeleteQueueAsync(url); }
    }
}
