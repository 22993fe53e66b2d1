using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Transfer;

/// <summary>The one budget of HTTP requests in flight that every request of a run goes through (bulk cmdlets and
/// streams alike), with an optional request-rate cap and the loop that adapts the limit. Items (files, objects,
/// archives) are limited separately by the engine; a multipart item takes several request slots, a small file one.
/// Failed attempts the SDK retried, bodies resumed after a broken connection and throttle events are counted here.</summary>
public sealed class RequestBudget : IDisposable
{
    /// <summary>A request's fixed cost expressed in bytes, so small-object and large-object work can be compared
    /// on one throughput scale when the controller measures it.</summary>
    const long RequestOverheadBytes = 128 * 1024;
    readonly RequestLimiter _limiter;
    readonly AdaptiveConcurrencyController? _controller;
    readonly ObservedS3Client? _client;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _requestCounts = new(StringComparer.Ordinal);
    readonly TokenBucket? _rate;
    readonly TokenBucket? _bytes;
    readonly TimeProvider _time;
    long _workInInterval;
    long _waitsInInterval;
    int _throttledInInterval;
    long _attemptFailures;
    long _finalRequestFailures;
    long _resumedRequests;

    public RequestBudget(IAmazonS3 client, int? fixedConcurrency, int initialConcurrency = 16, int maxAdaptiveConcurrency = 128,
        double? maxRequestsPerSecond = null, TimeProvider? timeProvider = null, long? maxBytesPerSecond = null)
    {
        if (maxBytesPerSecond is <= 0)
            throw new S3TurboException(ErrorIds.InvalidByteRate, FailureKind.InvalidArgument,
                $"-MaxBytesPerSecond {maxBytesPerSecond} is not valid: it must be greater than 0, for example 20MB.", maxBytesPerSecond);
        if (maxRequestsPerSecond is <= 0 or > 1_000_000)
            throw new S3TurboException(ErrorIds.InvalidRequestRate, FailureKind.InvalidArgument,
                $"-MaxRequestsPerSecond {maxRequestsPerSecond} is not valid: it must be greater than 0.", maxRequestsPerSecond);
        if (fixedConcurrency is < 1)
            throw new S3TurboException(ErrorIds.InvalidConcurrency, FailureKind.InvalidArgument,
                $"-MaxConcurrency {fixedConcurrency} is not valid: it must be at least 1 (or omitted for adaptive concurrency).", fixedConcurrency);
        Client = client;
        _time = timeProvider ?? TimeProvider.System;
        // A tenth of a second's requests may go at once (at least one): the cap holds over any window of a second.
        if (maxRequestsPerSecond is double rps) _rate = new TokenBucket(rps, rps / 10, _time);
        // Bytes too: a tenth of a second's worth may go at once, so the cap holds within a few percent over seconds.
        if (maxBytesPerSecond is long bps) { _bytes = new TokenBucket(bps, Math.Max(bps / 10, 1), _time); MaxBytesPerSecond = bps; }
        if (fixedConcurrency is int fixedLimit) _limiter = new RequestLimiter(fixedLimit);
        else
        {
            _controller = new AdaptiveConcurrencyController(initialConcurrency, 2, maxAdaptiveConcurrency);
            _limiter = new RequestLimiter(_controller.Limit);
        }
        // Every failed attempt is reported, including the ones the SDK retries: that is how throttling that the SDK
        // absorbed still slows us down, and how retries are counted.
        _client = client as ObservedS3Client;
        if (_client is not null) _client.AttemptFailed += OnAttemptFailed;
    }

    /// <summary>-MaxBytesPerSecond: the cap on the bytes the run's requests move (bodies sent and received), or null.</summary>
    public long? MaxBytesPerSecond { get; }

    /// <summary>The client every request of the run is sent with.</summary>
    public IAmazonS3 Client { get; }
    public int Concurrency => _limiter.Limit;
    public int PeakConcurrency => Math.Max(_controller?.PeakLimit ?? 0, _limiter.Limit);
    public int ThrottleEvents => _controller?.Throttles ?? 0;
    public int InFlight => _limiter.InFlight;
    /// <summary>Attempts tried again: by the SDK (failed attempts minus requests that failed for good) and by
    /// <see cref="RunResumableAsync"/> (bodies that broke off).</summary>
    public long Retries => Math.Max(0, Interlocked.Read(ref _attemptFailures) - Interlocked.Read(ref _finalRequestFailures)) + Interlocked.Read(ref _resumedRequests);
    public event Action<int, int>? ConcurrencyChanged;

    /// <summary>Runs one S3 request inside a slot. <paramref name="bytes"/> is its payload, for the throughput measure.</summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> request, long bytes, CancellationToken cancellationToken) =>
        RunAsync(request, bytes, cancellationToken, cancellationToken);

    /// <summary>As above, with the wait for a slot cancelled by <paramref name="cancellationToken"/> and the request
    /// itself by <paramref name="requestToken"/> (for requests that must not be abandoned halfway).</summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> request, long bytes, CancellationToken cancellationToken, CancellationToken requestToken) =>
        RunCoreAsync(request, bytes, RequestName<T>.Value, cancellationToken, requestToken);

    /// <summary>Requests made, by operation ("DeleteObjects": 3), each counted once however often the SDK retried it.</summary>
    public IReadOnlyDictionary<string, long> RequestCounts => new SortedDictionary<string, long>(_requestCounts, StringComparer.Ordinal);

    /// <summary>The operation a response type answers: DeleteObjectsResponse → DeleteObjects.</summary>
    static class RequestName<T>
    {
        public static readonly string Value = typeof(T).Name.EndsWith("Response", StringComparison.Ordinal) ? typeof(T).Name[..^"Response".Length] : typeof(T).Name;
    }

    async Task<T> RunCoreAsync<T>(Func<CancellationToken, Task<T>> request, long bytes, string name, CancellationToken cancellationToken, CancellationToken requestToken)
    {
        _requestCounts.AddOrUpdate(name, 1, (_, n) => n + 1);
        // The byte cap counts what crosses the wire: bodies sent (PutObject, UploadPart) and received (GetObject);
        // a server-side copy's bytes do not. Taken before a slot, so a request waiting for bytes holds none.
        if (_bytes is not null && bytes > 0 && name is "PutObject" or "UploadPart" or "GetObject") await _bytes.TakeAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (_limiter.InFlight >= _limiter.Limit) Interlocked.Increment(ref _waitsInInterval);
        using var lease = await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (_rate is not null) await _rate.TakeAsync(1, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await request(requestToken).ConfigureAwait(false);
            Interlocked.Add(ref _workInInterval, bytes + RequestOverheadBytes);
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Interlocked.Increment(ref _finalRequestFailures);
            if (ErrorClassifier.IsThrottle(ex)) Interlocked.Exchange(ref _throttledInInterval, 1);
            throw;
        }
    }

    /// <summary>A request that is counted with the run's requests but takes no slot of the limit: a queue's long
    /// poll (it waits up to 20 s for messages, and would hold a slot all that time) and its message settlement, or a
    /// clean-up that must neither wait behind a full budget nor be cancelled with the run (a multipart abort).</summary>
    public Task<T> RunOutsideLimitAsync<T>(Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        _requestCounts.AddOrUpdate(RequestName<T>.Value, 1, (_, n) => n + 1);
        return request(cancellationToken);
    }

    /// <summary>A request whose response body is read inside <paramref name="request"/>. The SDK retries a request
    /// that fails before its response arrives, but not a body that breaks off midway; such a transient failure is
    /// tried again here (up to <paramref name="attempts"/> times, with a short pause), and the request is expected
    /// to resume where it stopped.</summary>
    public async Task RunResumableAsync(Func<CancellationToken, Task> request, long bytes, int attempts, CancellationToken cancellationToken, string requestName = "GetObject")
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await RunCoreAsync(async ct => { await request(ct).ConfigureAwait(false); return true; }, bytes, requestName, cancellationToken, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < attempts && IsTransient(ex))
            {
                // Not a final failure after all. A broken body never reached the SDK's attempt observer, so it is
                // counted here; a failure the SDK saw is already counted as an attempt.
                Interlocked.Decrement(ref _finalRequestFailures);
                if (ex is not AmazonServiceException) Interlocked.Increment(ref _resumedRequests);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    static bool IsTransient(Exception ex) =>
        ex is IOException or HttpRequestException or TimeoutException
        || ex is AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError }
        || ex is AmazonClientException { InnerException: IOException or HttpRequestException };

    void OnAttemptFailed(Exception ex)
    {
        Interlocked.Increment(ref _attemptFailures);
        if (ErrorClassifier.IsThrottle(ex)) Interlocked.Exchange(ref _throttledInInterval, 1);
    }

    /// <summary>Adapts the limit once per interval until cancelled (no-op with a fixed concurrency).</summary>
    public async Task RunControllerAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        if (_controller is null) return;
        var last = _time.GetTimestamp();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
                double seconds = _time.GetElapsedTime(last).TotalSeconds;
                last = _time.GetTimestamp();
                Observe(seconds);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One control step over the work done since the last one.</summary>
    void Observe(double seconds)
    {
        long work = Interlocked.Exchange(ref _workInInterval, 0);
        bool saturated = Interlocked.Exchange(ref _waitsInInterval, 0) > 0 || _limiter.Waiting > 0;
        bool throttled = Interlocked.Exchange(ref _throttledInInterval, 0) == 1;
        int before = _limiter.Limit;
        int after = _controller!.Observe(work / Math.Max(seconds, 0.001), throttled, saturated);
        if (after == before) return;
        _limiter.SetLimit(after);
        ConcurrencyChanged?.Invoke(before, after);
    }

    public void Dispose()
    {
        if (_client is not null) _client.AttemptFailed -= OnAttemptFailed;
    }
}
