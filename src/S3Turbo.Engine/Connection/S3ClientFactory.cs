using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace S3Turbo.Engine.Connection;

/// <summary>Builds configured SDK clients; the only place that knows the SDK's config knobs.</summary>
public static class S3ClientFactory
{
    public static IAmazonS3 Create(S3ConnectionOptions options)
    {
        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.MaxRetries,
            Timeout = options.RequestTimeout,
#if NET // .NET Framework's HTTP stack has neither setting
            ConnectTimeout = options.ConnectTimeout,
            MaxConnectionsPerServer = options.MaxConnections,
#endif
            // Throttling is handled by our adaptive controller (fewer requests in flight), so the SDK's client-wide
            // retry quota is off: with it on, a few seconds of 503s from a busy bucket drain the quota and every
            // request in flight then fails at once instead of being retried after its backoff.
            ThrottleRetries = false,
            // The chunk a request body is copied to the connection in (the SDK's StreamContent). Its default, 8 KiB,
            // made a 1 GiB upload 131,072 reads and sends: 256 KiB took 15% less CPU (2.65 against 3.1 CPU s, 1 GiB
            // to the local gateway, four runs each).
            BufferSize = 256 * 1024,
        };
#if NET
        // Each client has its own connections, closed when its run disposes it, instead of the SDK's process-wide
        // cache, so no run inherits another's connections; and a small body goes without Expect: 100-continue (see
        // SmallBodiesWithoutExpectContinue: Ceph misread the request after a refused one). Not CacheHttpClient =
        // false: that makes the SDK open a new HttpClient, so a new connection, for every request.
        config.HttpClientFactory = new PerClientHttpClientFactory();
#endif
        // The SDK adds no checksum of its own and checks none unless asked: S3Turbo asks where it wants one (each
        // upload carries the checksum it computed, a GET asks for the store's with checksum mode; see Proof/).
        config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
        config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        if (options.UsesCustomEndpoint)
        {
            ValidateEndpoint(options.EndpointUrl!);
            config.ServiceURL = options.EndpointUrl;
            config.ForcePathStyle = options.ForcePathStyle ?? true;
            config.AuthenticationRegion = string.IsNullOrEmpty(options.Region) ? "us-east-1" : options.Region;
        }
        else
        {
            config.ForcePathStyle = options.ForcePathStyle ?? false;
            if (!string.IsNullOrEmpty(options.Region)) config.RegionEndpoint = ResolveRegion(options.Region!);
        }
        return options.Credentials is null ? new ObservedS3Client(config) : new ObservedS3Client(options.Credentials, config);
    }

    /// <summary>Rejects region names that are not of AWS's shape (the SDK would otherwise invent an endpoint).</summary>
    public static RegionEndpoint ResolveRegion(string region)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(region, "^[a-z]{2}(-[a-z]+)+-\\d{1,2}$"))
            throw new S3TurboException(ErrorIds.InvalidRegion, FailureKind.InvalidArgument,
                $"'{region}' is not a valid AWS region name (expected a name like us-east-1 or eu-west-2).", region);
        return RegionEndpoint.GetBySystemName(region);
    }

    static void ValidateEndpoint(string endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new S3TurboException(ErrorIds.InvalidEndpoint, FailureKind.InvalidArgument,
                $"EndpointUrl '{endpoint}' is not an absolute http:// or https:// URL.", endpoint);
    }
}

#if NET
/// <summary>The SDK's own HttpClient set-up (HttpRequestMessageFactory.CreateManagedHttpClient: a SocketsHttpHandler with
/// the config's connection limit, connect timeout, redirects, proxy and no decompression), but cached per S3 client
/// (a null config string), so its connections are closed when the client is disposed at the end of its run.</summary>
sealed class PerClientHttpClientFactory : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        if (clientConfig.ConnectTimeout is { } connectTimeout) handler.ConnectTimeout = connectTimeout;
        if (clientConfig.MaxConnectionsPerServer is { } max) handler.MaxConnectionsPerServer = max;
        if (clientConfig.GetWebProxy() is { } proxy) handler.Proxy = proxy;
        if (handler.Proxy is not null && clientConfig.ProxyCredentials is not null) handler.Proxy.Credentials = clientConfig.ProxyCredentials;
        var client = new HttpClient(new SmallBodiesWithoutExpectContinue(handler));
        if (clientConfig.Timeout is { } timeout) client.Timeout = timeout;
        return client;
    }

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;
    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
    public override string? GetConfigUniqueString(IClientConfig clientConfig) => null;
}

/// <summary>Sends a small body without "Expect: 100-continue". When a store refuses a request before asking for its body
/// (Ceph 20.2, for a storage class it lacks), .NET still sends a body of up to 1 KiB and keeps the connection, but
/// Ceph, which never said 100 Continue, does not read that body: it takes it as the start of the next request on that
/// connection and answers that one 405 MethodNotAllowed (seen on the wire). Without the header the store reads the
/// body with the request. A larger body keeps the header: refused, it is not sent and .NET closes the connection.</summary>
sealed class SmallBodiesWithoutExpectContinue : DelegatingHandler
{
    /// <summary>.NET's own threshold (HttpConnection.Expect100ErrorSendThreshold): a body up to this size is sent
    /// even after a refusal.</summary>
    const long ErrorSendThreshold = 1024;

    public SmallBodiesWithoutExpectContinue(HttpMessageHandler inner) : base(inner) { }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.ExpectContinue == true && request.Content?.Headers.ContentLength is <= ErrorSendThreshold)
            request.Headers.ExpectContinue = false;
        return base.SendAsync(request, cancellationToken);
    }
}
#endif
