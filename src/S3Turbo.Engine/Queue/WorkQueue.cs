using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Queue;

/// <summary>How a queue-fed worker takes its work: the queue, when it stops, how long a message stays its own.</summary>
public sealed class QueueWorkerOptions
{
    public string QueueUrl { get; init; } = "";
    /// <summary>The worker stops once nothing has arrived for this long and no message is in hand.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How long a received message stays hidden from other workers; extended every third of it while its
    /// work runs, so a long job is never handed to a second worker, and a killed worker's messages come back
    /// after at most this long.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>Messages held at once (received, not yet deleted or released).</summary>
    public int MessagesInFlight { get; init; } = 32;
    /// <summary>Decide every item, write nothing, delete no message (each returns when its visibility ends).</summary>
    public bool DryRun { get; init; }

    public void Validate()
    {
        if (!Uri.TryCreate(QueueUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.AbsolutePath.Trim('/').Length == 0)
            throw new S3TurboException(ErrorIds.InvalidQueueSetting, FailureKind.InvalidArgument,
                $"-QueueUrl '{QueueUrl}' is not an SQS queue URL (such as https://sqs.us-east-1.amazonaws.com/123456789012/work).", QueueUrl);
        if (VisibilityTimeout < TimeSpan.FromSeconds(3) || VisibilityTimeout > TimeSpan.FromHours(12))
            throw new S3TurboException(ErrorIds.InvalidQueueSetting, FailureKind.InvalidArgument,
                $"-VisibilityTimeout {VisibilityTimeout.TotalSeconds:0} s is not valid: between 3 seconds and 12 hours (SQS's limit).", VisibilityTimeout);
        if (IdleTimeout < TimeSpan.Zero)
            throw new S3TurboException(ErrorIds.InvalidQueueSetting, FailureKind.InvalidArgument, "-IdleTimeout cannot be negative.", IdleTimeout);
        if (MessagesInFlight < 1)
            throw new S3TurboException(ErrorIds.InvalidQueueSetting, FailureKind.InvalidArgument, $"{MessagesInFlight} messages in flight is not valid: at least 1.", MessagesInFlight);
    }
}

public enum QueueTargetKind { Object, Prefix, Manifest }

/// <summary>One piece of work a message names: an object (bucket + key), every object under a prefix, or the
/// objects a manifest lists (Key holds its local path or s3:// URI). Operation, when the sender named one, is the
/// cmdlet meant to run it.</summary>
public sealed record QueueTarget(QueueTargetKind Kind, string BucketName, string Key, long? Size = null, string? ETag = null, string? Operation = null)
{
    public override string ToString() => Kind == QueueTargetKind.Manifest ? Key : $"s3://{BucketName}/{Key}";
}

/// <summary>A received message: its work, or why it has none that can be done (Error).</summary>
public sealed class QueueMessage
{
    internal QueueMessage(string messageId, string receiptHandle, string body, int receiveCount)
    {
        MessageId = messageId; ReceiptHandle = receiptHandle; Body = body; ReceiveCount = receiveCount;
        try { Targets = WorkQueue.Parse(body, messageId); }
        catch (S3TurboException ex) { Targets = Array.Empty<QueueTarget>(); Error = ex; }
    }

    public string MessageId { get; }
    internal string ReceiptHandle { get; }
    public string Body { get; }
    /// <summary>Deliveries so far, this one included (SQS's ApproximateReceiveCount).</summary>
    public int ReceiveCount { get; }
    public IReadOnlyList<QueueTarget> Targets { get; }
    public S3TurboException? Error { get; }
}

/// <summary>An SQS queue a worker takes messages from. A message is deleted only after its work is stored
/// (<see cref="CompleteAsync"/>); a failed one is handed back (<see cref="ReleaseAsync"/>) after a short back-off
/// that grows with its deliveries, so the queue's redrive policy moves a poison message to its dead-letter queue.
/// While a message is held its visibility is extended. SQS requests do not go through the S3 request budget: a
/// 20-second long poll would hold one of its slots.</summary>
public sealed class WorkQueue : IAsyncDisposable
{
    readonly IAmazonSQS _sqs;
    readonly QueueWorkerOptions _options;
    readonly ConcurrentDictionary<string, QueueMessage> _held = new();
    readonly SemaphoreSlim _room;
    readonly CancellationTokenSource _stop = new();
    readonly Task _extending;
    readonly Action<string>? _notice;
    readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    long _lastActivity;

    WorkQueue(IAmazonSQS sqs, QueueWorkerOptions options, Action<string>? notice)
    {
        _sqs = sqs; _options = options; _notice = notice;
        _room = new SemaphoreSlim(options.MessagesInFlight, options.MessagesInFlight);
        _extending = ExtendVisibilityAsync(_stop.Token);
    }

    /// <summary>Connects to the queue with the run's credentials; the endpoint and signing region come from the
    /// queue URL (sqs.REGION.amazonaws.com), else from the run's region.</summary>
    public static WorkQueue Open(S3Connection connection, QueueWorkerOptions options, Action<string>? notice = null)
    {
        options.Validate();
        return new WorkQueue(QueueClients.Create(connection.Options, options.QueueUrl), options, notice);
    }

    /// <summary>Messages held now.</summary>
    public int Held => _held.Count;

    /// <summary>Messages as they arrive, at most MessagesInFlight held at once (a message is held until it is
    /// completed or released). Ends once nothing has arrived for IdleTimeout while no message was held.</summary>
    public async IAsyncEnumerable<QueueMessage> ReceiveAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
            int room = 1;
            while (room < 10 && _room.Wait(0, CancellationToken.None)) room++;
            var left = _options.IdleTimeout - IdleFor;
            // Short polls while work is in hand, so the idle clock is looked at soon after the last message settles.
            int wait = _held.IsEmpty ? (int)Math.Min(20, Math.Max(1, Math.Ceiling(left.TotalSeconds))) : 2;
            ReceiveMessageResponse response;
            try
            {
                response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = _options.QueueUrl, MaxNumberOfMessages = room, WaitTimeSeconds = wait,
                    VisibilityTimeout = (int)_options.VisibilityTimeout.TotalSeconds,
                    MessageSystemAttributeNames = new List<string> { "ApproximateReceiveCount" },
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _room.Release(room);
                throw Unavailable(ex);
            }
            var messages = response.Messages ?? new List<Message>();
            if (messages.Count < room) _room.Release(room - messages.Count);
            if (messages.Count > 0) Touch();
            else if (_held.IsEmpty && IdleFor >= _options.IdleTimeout) yield break;
            foreach (var message in messages)
            {
                int count = message.Attributes is { } attributes && attributes.TryGetValue("ApproximateReceiveCount", out var text)
                    && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;
                var received = new QueueMessage(message.MessageId, message.ReceiptHandle, message.Body ?? "", count);
                _held[received.MessageId] = received;
                yield return received;
            }
        }
    }

    /// <summary>The message's work is stored: it is deleted (with -WhatIf it is left as it is).</summary>
    public async Task CompleteAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        // A dry run leaves the message untouched: it stays hidden until its visibility ends (handed back at once, this
        // worker would only receive it again), then returns for a real run.
        if (_options.DryRun) { Settled(message); return; }
        try
        {
            await _sqs.DeleteMessageAsync(new DeleteMessageRequest { QueueUrl = _options.QueueUrl, ReceiptHandle = message.ReceiptHandle }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException) { throw Unavailable(ex); }
        finally { Settled(message); }
    }

    /// <summary>The message's work failed: it becomes visible again after a back-off of 2 s per delivery so far
    /// (at most the visibility timeout), for another try or, past the queue's maxReceiveCount, its dead-letter queue.</summary>
    public Task ReleaseAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        if (_options.DryRun) { Settled(message); return Task.CompletedTask; }
        return HandBackAsync(message, RetryDelay(message.ReceiveCount), cancellationToken);
    }

    public TimeSpan RetryDelay(int receiveCount) =>
        TimeSpan.FromSeconds(Math.Min(_options.VisibilityTimeout.TotalSeconds, 2.0 * Math.Max(1, receiveCount)));

    async Task HandBackAsync(QueueMessage message, TimeSpan after, CancellationToken cancellationToken)
    {
        try
        {
            await _sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
            {
                QueueUrl = _options.QueueUrl, ReceiptHandle = message.ReceiptHandle, VisibilityTimeout = (int)after.TotalSeconds,
            }, cancellationToken).ConfigureAwait(false);
        }
        // Not handed back: it comes back by itself when its visibility ends.
        catch (Exception ex) when (ex is not OperationCanceledException) { _notice?.Invoke($"Message {message.MessageId} not handed back ({ex.Message}); it returns after its visibility timeout."); }
        finally { Settled(message); }
    }

    void Settled(QueueMessage message)
    {
        if (_held.TryRemove(message.MessageId, out _)) _room.Release();
        Touch();
    }

    TimeSpan IdleFor => TimeSpan.FromMilliseconds(_clock.ElapsedMilliseconds - Interlocked.Read(ref _lastActivity));

    void Touch() => Interlocked.Exchange(ref _lastActivity, _clock.ElapsedMilliseconds);

    async Task ExtendVisibilityAsync(CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromTicks(_options.VisibilityTimeout.Ticks / 3);
        try
        {
            while (true)
            {
                await Task.Delay(every, cancellationToken).ConfigureAwait(false);
                var held = _held.Values.ToList();
                for (int i = 0; i < held.Count; i += 10)
                {
                    var entries = held.Skip(i).Take(10).Select((m, j) => new ChangeMessageVisibilityBatchRequestEntry
                    {
                        Id = j.ToString(CultureInfo.InvariantCulture), ReceiptHandle = m.ReceiptHandle, VisibilityTimeout = (int)_options.VisibilityTimeout.TotalSeconds,
                    }).ToList();
                    try
                    {
                        var response = await _sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest { QueueUrl = _options.QueueUrl, Entries = entries }, cancellationToken).ConfigureAwait(false);
                        foreach (var failed in response.Failed ?? new List<BatchResultErrorEntry>())
                            _notice?.Invoke($"Visibility of a held message not extended: {failed.Code} {failed.Message}");
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException) { _notice?.Invoke($"Visibility not extended: {ex.Message}"); }
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Stops extending; every message still held (a stop, a failure) is handed back at once, best effort,
    /// so another worker takes it without waiting for its visibility to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _extending.ConfigureAwait(false);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var message in _held.Values.ToList())
        {
            try { await HandBackAsync(message, TimeSpan.Zero, deadline.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        _sqs.Dispose();
        _stop.Dispose();
    }

    static S3TurboException Unavailable(Exception ex) => QueueClients.Failure(ex, "The queue did not answer", null);

    // ---- message bodies ----

    /// <summary>The work a message body names: S3 event notifications (direct, through SNS, or EventBridge's form),
    /// s3:TestEvent (no work), or an S3Turbo work item (see <see cref="WorkItem"/>). Only ObjectCreated events are
    /// work; other events name none. Throws InvalidWorkItem naming the message for anything else.</summary>
    public static IReadOnlyList<QueueTarget> Parse(string body, string messageId)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(body); }
        catch (JsonException ex) { throw Invalid(messageId, $"is not JSON ({ex.Message})"); }
        using (document) return Parse(document.RootElement, messageId, depth: 0);
    }

    static IReadOnlyList<QueueTarget> Parse(JsonElement root, string messageId, int depth)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Invalid(messageId, "is not a JSON object");
        if (depth < 2 && Text(root, "Type") == "Notification" && Text(root, "Message") is { } inner)
        {
            try { using var wrapped = JsonDocument.Parse(inner); return Parse(wrapped.RootElement, messageId, depth + 1); }
            catch (JsonException ex) { throw Invalid(messageId, $"is an SNS notification whose Message is not JSON ({ex.Message})"); }
        }
        if (Text(root, "Event") == "s3:TestEvent") return Array.Empty<QueueTarget>();
        if (root.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array)
        {
            var targets = new List<QueueTarget>();
            int index = 0;
            foreach (var record in records.EnumerateArray())
            {
                if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty("s3", out var s3) || s3.ValueKind != JsonValueKind.Object)
                    throw Invalid(messageId, $"has an event record {index} without its s3 part");
                if (Text(record, "eventName") is { } name && name.StartsWith("ObjectCreated:", StringComparison.Ordinal))
                {
                    var bucket = Text(Child(s3, "bucket"), "name");
                    var key = Text(Child(s3, "object"), "key");
                    if (string.IsNullOrEmpty(bucket) || string.IsNullOrEmpty(key)) throw Invalid(messageId, $"has an event record {index} without s3.bucket.name or s3.object.key");
                    // Event keys are URL-encoded with '+' for a space, as in a form. The event's size and ETag are
                    // left out: the object may have been overwritten since, and its current version is the work.
                    targets.Add(new QueueTarget(QueueTargetKind.Object, bucket!, WebUtility.UrlDecode(key!)));
                }
                index++;
            }
            return targets;
        }
        if (Text(root, "source") == "aws.s3" && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object)
        {
            if (Text(root, "detail-type") != "Object Created") return Array.Empty<QueueTarget>();
            var bucket = Text(Child(detail, "bucket"), "name");
            var key = Text(Child(detail, "object"), "key");
            if (string.IsNullOrEmpty(bucket) || string.IsNullOrEmpty(key)) throw Invalid(messageId, "is an EventBridge S3 event without detail.bucket.name or detail.object.key");
            return new[] { new QueueTarget(QueueTargetKind.Object, bucket!, key!) };
        }
        if (root.TryGetProperty(WorkItem.Marker, out _)) return new[] { WorkItem.Read(root, messageId) };
        throw Invalid(messageId, "is neither an S3 event notification nor an S3Turbo work item");
    }

    internal static S3TurboException Invalid(string messageId, string what) =>
        new(ErrorIds.InvalidWorkItem, FailureKind.InvalidData, $"Queue message {messageId} {what}.", messageId);

    internal static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static long? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    static JsonElement Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;
}

/// <summary>S3Turbo's own message body, one piece of work per message:
/// <c>{"s3turbo":1,"bucket":"b","key":"k"}</c>, or <c>"prefix":"p/"</c> instead of key, or
/// <c>{"s3turbo":1,"manifest":"s3://b/manifest.json"}</c>; optional "size", "etag" and "operation" (the cmdlet
/// meant to run it, such as "Get-S3TarIndex").</summary>
public static class WorkItem
{
    public const string Marker = "s3turbo";

    public static string Write(QueueTarget target)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber(Marker, 1);
            if (target.Operation is not null) json.WriteString("operation", target.Operation);
            if (target.Kind == QueueTargetKind.Manifest) json.WriteString("manifest", target.Key);
            else
            {
                json.WriteString("bucket", target.BucketName);
                json.WriteString(target.Kind == QueueTargetKind.Prefix ? "prefix" : "key", target.Key);
                if (target.Size is long size) json.WriteNumber("size", size);
                if (target.ETag is not null) json.WriteString("etag", target.ETag);
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static QueueTarget Read(JsonElement root, string messageId)
    {
        if (!root.TryGetProperty(Marker, out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != 1)
            throw WorkQueue.Invalid(messageId, $"is an S3Turbo work item of an unknown version (\"{Marker}\" must be 1)");
        var operation = WorkQueue.Text(root, "operation");
        if (WorkQueue.Text(root, "manifest") is { Length: > 0 } manifest) return new QueueTarget(QueueTargetKind.Manifest, "", manifest, Operation: operation);
        var bucket = WorkQueue.Text(root, "bucket");
        if (bucket is null || !BucketNames.IsValid(bucket)) throw WorkQueue.Invalid(messageId, $"is a work item without a valid \"bucket\" ({bucket ?? "none"})");
        if (WorkQueue.Text(root, "key") is { Length: > 0 } key)
            return new QueueTarget(QueueTargetKind.Object, bucket, key, WorkQueue.Number(root, "size"), WorkQueue.Text(root, "etag"), operation);
        if (WorkQueue.Text(root, "prefix") is { } prefix) return new QueueTarget(QueueTargetKind.Prefix, bucket, prefix, Operation: operation);
        throw WorkQueue.Invalid(messageId, "is a work item with neither \"key\", \"prefix\" nor \"manifest\"");
    }
}

/// <summary>SQS clients built like the run's S3 client (credentials, retry mode, timeouts).</summary>
static class QueueClients
{
    public static IAmazonSQS Create(S3ConnectionOptions connection, string queueUrl)
    {
        var uri = new Uri(queueUrl);
        var host = uri.Host.Split('.');
        // sqs.REGION.amazonaws.com (and the legacy REGION.queue.amazonaws.com) name their region.
        string? region = host.Length >= 4 && host[0] == "sqs" ? host[1] : host.Length >= 4 && host[1] == "queue" ? host[0] : null;
        var config = new AmazonSQSConfig
        {
            ServiceURL = uri.GetLeftPart(UriPartial.Authority),
            AuthenticationRegion = region ?? (string.IsNullOrEmpty(connection.Region) ? "us-east-1" : connection.Region),
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = connection.MaxRetries,
            // Above the longest long poll (20 s).
            Timeout = TimeSpan.FromSeconds(60),
        };
        return connection.Credentials is null ? new AmazonSQSClient(config) : new AmazonSQSClient(connection.Credentials, config);
    }

    /// <summary>A failed SQS request as the run's error. A queue that is missing, denied or refuses the request (400)
    /// would fail every later request alike, so that failure stops the run.</summary>
    public static S3TurboException Failure(Exception ex, string doing, object? target) => ex as S3TurboException ?? new S3TurboException(ErrorIds.QueueUnavailable,
        ex is AmazonServiceException { StatusCode: HttpStatusCode.Forbidden } ? FailureKind.PermissionDenied : FailureKind.Connection,
        $"{doing}: {ex.Message}", target, ex) { IsFatalForRun = ex is AmazonServiceException { StatusCode: HttpStatusCode.Forbidden or HttpStatusCode.BadRequest or HttpStatusCode.NotFound } };

    /// <summary>One SendMessageBatch request (its response type names it in the run's request counts).</summary>
    public static Task<SendMessageBatchResponse> SendBatchAsync(IAmazonSQS sqs, string queueUrl, IReadOnlyList<string> bodies, CancellationToken cancellationToken) =>
        sqs.SendMessageBatchAsync(new SendMessageBatchRequest
        {
            QueueUrl = queueUrl,
            Entries = bodies.Select((body, i) => new SendMessageBatchRequestEntry { Id = i.ToString(CultureInfo.InvariantCulture), MessageBody = body }).ToList(),
        }, cancellationToken);

    /// <summary>Each entry's outcome by its Id: the message ID, or the queue's reason for refusing it.</summary>
    public static Dictionary<string, (string? MessageId, string? Error)> Outcomes(SendMessageBatchResponse response)
    {
        var outcomes = new Dictionary<string, (string?, string?)>(StringComparer.Ordinal);
        foreach (var ok in response.Successful ?? new List<SendMessageBatchResultEntry>()) outcomes[ok.Id] = (ok.MessageId, null);
        foreach (var failed in response.Failed ?? new List<BatchResultErrorEntry>()) outcomes[failed.Id] = (null, $"{failed.Code}: {failed.Message}");
        return outcomes;
    }
}
