using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Queue;

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
