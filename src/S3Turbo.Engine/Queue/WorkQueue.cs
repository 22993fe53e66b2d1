using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
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
    /// <summary>How long a receive waits for more messages while some are held (short, so the idle clock is looked at
    /// soon after the last one settles; tests use zero).</summary>
    public TimeSpan HeldPollWait { get; init; } = TimeSpan.FromSeconds(2);

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
        try { Targets = QueueMessageBodies.Parse(body, messageId); }
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
/// While a message is held its visibility is extended. Every SQS request is counted in the run's request budget
/// (by operation, in the summary) without taking one of its slots: a 20-second long poll would hold one. The idle
/// clock and the visibility loop run on the run's TimeProvider, so tests step them with a fake clock.</summary>
public sealed class WorkQueue : IAsyncDisposable
{
    readonly IAmazonSQS _sqs;
    readonly RequestBudget _budget;
    readonly QueueWorkerOptions _options;
    readonly ConcurrentDictionary<string, QueueMessage> _held = new();
    readonly SemaphoreSlim _room;
    readonly CancellationTokenSource _stop = new();
    readonly Task _extending;
    readonly Action<string>? _notice;
    readonly TimeProvider _time;
    long _lastActivity;

    WorkQueue(IAmazonSQS sqs, RequestBudget budget, QueueWorkerOptions options, TimeProvider time, Action<string>? notice)
    {
        _sqs = sqs; _budget = budget; _options = options; _time = time; _notice = notice;
        _lastActivity = time.GetTimestamp();
        _room = new SemaphoreSlim(options.MessagesInFlight, options.MessagesInFlight);
        _extending = ExtendVisibilityAsync(_stop.Token);
    }

    /// <summary>Connects to the queue with the run's credentials; the endpoint and signing region come from the
    /// queue URL (sqs.REGION.amazonaws.com), else from the run's region. Requests are counted in <paramref name="budget"/>.</summary>
    public static WorkQueue Open(S3Connection connection, RequestBudget budget, QueueWorkerOptions options, TimeProvider? time = null, Action<string>? notice = null)
    {
        options.Validate();
        return new WorkQueue(QueueClients.Create(connection.Options, options.QueueUrl), budget, options, time ?? TimeProvider.System, notice);
    }

    /// <summary>Messages held now.</summary>
    public int Held => _held.Count;

    /// <summary>Raised after each request that extended the visibility of held messages, with how many it covered.</summary>
    public event Action<int>? VisibilityExtended;

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
            // Short polls while work is in hand, so the idle clock is looked at soon after the last message settles;
            // none once the idle time is up (one last look, then the worker stops).
            int wait = !_held.IsEmpty ? (int)_options.HeldPollWait.TotalSeconds : left <= TimeSpan.Zero ? 0 : (int)Math.Min(20, Math.Max(1, Math.Ceiling(left.TotalSeconds)));
            ReceiveMessageResponse response;
            try
            {
                response = await _budget.RunOutsideLimitAsync(ct => _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = _options.QueueUrl, MaxNumberOfMessages = room, WaitTimeSeconds = wait,
                    VisibilityTimeout = (int)_options.VisibilityTimeout.TotalSeconds,
                    MessageSystemAttributeNames = new List<string> { "ApproximateReceiveCount" },
                }, ct), cancellationToken).ConfigureAwait(false);
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
            await _budget.RunOutsideLimitAsync(ct => _sqs.DeleteMessageAsync(new DeleteMessageRequest { QueueUrl = _options.QueueUrl, ReceiptHandle = message.ReceiptHandle }, ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException) { throw Unavailable(ex); }
        finally { Settled(message); }
    }

    /// <summary>The message's work failed: it becomes visible again after a back-off of 2 s per delivery so far
    /// (at most the visibility timeout), for another try or, past the queue's maxReceiveCount, its dead-letter queue.</summary>
    public Task ReleaseAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        if (_options.DryRun) { Settled(message); return Task.CompletedTask; }
        return HandBackAsync(message, RetryDelay(_options, message.ReceiveCount), cancellationToken);
    }

    public static TimeSpan RetryDelay(QueueWorkerOptions options, int receiveCount) =>
        TimeSpan.FromSeconds(Math.Min(options.VisibilityTimeout.TotalSeconds, 2.0 * Math.Max(1, receiveCount)));

    async Task HandBackAsync(QueueMessage message, TimeSpan after, CancellationToken cancellationToken)
    {
        try
        {
            await _budget.RunOutsideLimitAsync(ct => _sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
            {
                QueueUrl = _options.QueueUrl, ReceiptHandle = message.ReceiptHandle, VisibilityTimeout = (int)after.TotalSeconds,
            }, ct), cancellationToken).ConfigureAwait(false);
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

    TimeSpan IdleFor => _time.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    void Touch() => Interlocked.Exchange(ref _lastActivity, _time.GetTimestamp());

    async Task ExtendVisibilityAsync(CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromTicks(_options.VisibilityTimeout.Ticks / 3);
        try
        {
            while (true)
            {
                await Task.Delay(every, _time, cancellationToken).ConfigureAwait(false);
                var held = _held.Values.ToList();
                for (int i = 0; i < held.Count; i += 10)
                {
                    var entries = held.Skip(i).Take(10).Select((m, j) => new ChangeMessageVisibilityBatchRequestEntry
                    {
                        Id = j.ToString(CultureInfo.InvariantCulture), ReceiptHandle = m.ReceiptHandle, VisibilityTimeout = (int)_options.VisibilityTimeout.TotalSeconds,
                    }).ToList();
                    try
                    {
                        var response = await _budget.RunOutsideLimitAsync(ct => _sqs.ChangeMessageVisibilityBatchAsync(
                            new ChangeMessageVisibilityBatchRequest { QueueUrl = _options.QueueUrl, Entries = entries }, ct), cancellationToken).ConfigureAwait(false);
                        foreach (var failed in response.Failed ?? new List<BatchResultErrorEntry>())
                            _notice?.Invoke($"Visibility of a held message not extended: {failed.Code} {failed.Message}");
                        VisibilityExtended?.Invoke(entries.Count);
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
}
