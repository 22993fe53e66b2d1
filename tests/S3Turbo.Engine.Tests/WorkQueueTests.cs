using Amazon.SQS;
using Amazon.SQS.Model;
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
        var targets = WorkQueue.Parse(body, "m1");
        Assert.Equal(new[] { "2024/a b+cü.tar", "big.tar" }, targets.Select(t => t.Key));
        Assert.All(targets, t => { Assert.Equal(QueueTargetKind.Object, t.Kind); Assert.Equal("scans", t.BucketName); Assert.Null(t.ETag); });
    }

    [Fact]
    public void SNS_and_EventBridge_envelopes_are_opened_and_a_test_event_names_no_work()
    {
        var inner = """{"Records":[{"eventName":"ObjectCreated:Copy","s3":{"bucket":{"name":"b"},"object":{"key":"k%20x"}}}]}""";
        var sns = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["Type"] = "Notification", ["Message"] = inner });
        Assert.Equal("k x", Assert.Single(WorkQueue.Parse(sns, "m")).Key);
        var bridge = """{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"raw key+"}}}""";
        Assert.Equal("raw key+", Assert.Single(WorkQueue.Parse(bridge, "m")).Key);
        Assert.Empty(WorkQueue.Parse("""{"source":"aws.s3","detail-type":"Object Deleted","detail":{}}""", "m"));
        Assert.Empty(WorkQueue.Parse("""{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}""", "m"));
    }

    [Theory]
    [InlineData(QueueTargetKind.Object, "data/ünï cødé.tar", 42L, "abc", "Get-S3TarIndex")]
    [InlineData(QueueTargetKind.Prefix, "data/", null, null, null)]
    [InlineData(QueueTargetKind.Manifest, "s3://inv/manifest.json", null, null, "Copy-S3Prefix")]
    public void A_work_item_reads_back_as_written(QueueTargetKind kind, string key, long? size, string? etag, string? operation)
    {
        var target = new QueueTarget(kind, kind == QueueTargetKind.Manifest ? "" : "my-bucket", key, size, etag, operation);
        Assert.Equal(target, Assert.Single(WorkQueue.Parse(WorkItem.Write(target), "m")));
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
        var error = Assert.Throws<S3TurboException>(() => WorkQueue.Parse(body, "msg-7"));
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
    public async Task A_held_message_stays_hidden_past_its_visibility_timeout_and_is_gone_once_completed()
    {
        using var sqs = Sqs();
        var url = await NewQueueAsync(sqs, 3);
        try
        {
            await sqs.SendMessageAsync(url, WorkItem.Write(new QueueTarget(QueueTargetKind.Object, "bkt", "k")));
            using var connection = Connection();
            await using var queue = WorkQueue.Open(connection, new QueueWorkerOptions { QueueUrl = url, VisibilityTimeout = TimeSpan.FromSeconds(3), IdleTimeout = TimeSpan.Zero });
            await using var messages = queue.ReceiveAsync(CancellationToken.None).GetAsyncEnumerator();
            Assert.True(await messages.MoveNextAsync());
            var held = messages.Current;
            Assert.Equal("k", Assert.Single(held.Targets).Key);
            Assert.Equal(1, held.ReceiveCount);
            await Task.Delay(TimeSpan.FromSeconds(7)); // more than twice the visibility timeout
            var meanwhile = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, WaitTimeSeconds = 0 });
            Assert.Empty(meanwhile.Messages ?? new List<Message>());
            await queue.CompleteAsync(held, CancellationToken.None);
            Assert.Equal(0, queue.Held);
            await Task.Delay(TimeSpan.FromSeconds(4));
            var after = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, WaitTimeSeconds = 0 });
            Assert.Empty(after.Messages ?? new List<Message>());
        }
        finally { await sqs.DeleteQueueAsync(url); }
    }

    [Fact]
    public async Task A_released_message_comes_back_after_its_back_off_with_its_delivery_counted_and_the_worker_stops_when_idle()
    {
        using var sqs = Sqs();
        var url = await NewQueueAsync(sqs, 30);
        try
        {
            await sqs.SendMessageAsync(url, "poison");
            using var connection = Connection();
            await using var queue = WorkQueue.Open(connection, new QueueWorkerOptions { QueueUrl = url, IdleTimeout = TimeSpan.FromSeconds(6) });
            var deliveries = new List<(int Count, TimeSpan At)>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await foreach (var message in queue.ReceiveAsync(CancellationToken.None))
            {
                Assert.Equal(ErrorIds.InvalidWorkItem, message.Error?.ErrorId);
                deliveries.Add((message.ReceiveCount, clock.Elapsed));
                if (deliveries.Count < 2) await queue.ReleaseAsync(message, CancellationToken.None);
                else await queue.CompleteAsync(message, CancellationToken.None);
            }
            Assert.Equal(new[] { 1, 2 }, deliveries.Select(d => d.Count));
            Assert.InRange((deliveries[1].At - deliveries[0].At).TotalSeconds, 1.5, 10);
            Assert.InRange(clock.Elapsed.TotalSeconds, 6, 30);
        }
        finally { await sqs.DeleteQueueAsync(url); }
    }
}
