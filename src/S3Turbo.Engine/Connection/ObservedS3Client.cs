using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;

namespace S3Turbo.Engine.Connection;

/// <summary>An S3 client that reports every failed attempt, including the ones the SDK's retry handler retries.
/// The SDK's own ExceptionEvent fires outside the retry loop (once per request that fails for good), so throttling
/// the SDK absorbed by retrying would go unseen by the adaptive controller, and retries could not be counted.
/// The documented extension point for this is CustomizeRuntimePipeline: one handler just inside the RetryHandler.</summary>
public sealed class ObservedS3Client : AmazonS3Client
{
    public ObservedS3Client(AmazonS3Config config) : base(config) { }
    public ObservedS3Client(AWSCredentials credentials, AmazonS3Config config) : base(credentials, config) { }

    /// <summary>Raised on the thread of the failed attempt; handlers must be quick and must not throw.</summary>
    public event Action<Exception>? AttemptFailed;

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.AddHandlerAfter<RetryHandler>(new AttemptObserver(ex => AttemptFailed?.Invoke(ex)));
    }

    sealed class AttemptObserver : PipelineHandler
    {
        readonly Action<Exception> _failed;
        public AttemptObserver(Action<Exception> failed) => _failed = failed;

        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            try { return await base.InvokeAsync<T>(executionContext).ConfigureAwait(false); }
            catch (ArgumentOutOfRangeException ex) when (ex.StackTrace?.Contains("System.Net.Http.HttpConnection.ParseStatusLine", StringComparison.Ordinal) == true)
            {
                // HttpClient reports a response cut off inside its status line (a dropped connection, a gateway going
                // away) as an ArgumentOutOfRangeException, which no retry policy takes for the transient I/O failure it
                // is. As an IOException the SDK's retry handler retries it like any other broken connection.
                var io = new IOException("The response was cut off inside its status line; the connection was lost.", ex);
                _failed(io);
                throw io;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _failed(ex);
                throw;
            }
        }
    }
}
