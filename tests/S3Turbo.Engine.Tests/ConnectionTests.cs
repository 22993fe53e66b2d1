using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class ConnectionTests
{
    [Fact]
    public void Without_an_endpoint_the_client_talks_https_to_AWS_in_the_given_region()
    {
        using var connection = S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            AccessKey = "AKIDEXAMPLE", SecretKey = "secret", Region = "eu-west-1", EndpointUrl = null,
        });
        var config = (Amazon.S3.AmazonS3Config)connection.Client.Config;
        Assert.False(config.UseHttp);
        Assert.Null(config.ServiceURL);
        Assert.Equal("eu-west-1", config.RegionEndpoint?.SystemName);
        Assert.False(connection.Options.IsPlainHttp);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7480", true)]
    [InlineData("https://s3.example.net", false)]
    public void A_custom_endpoint_is_plain_http_only_when_it_says_so(string endpoint, bool plain)
    {
        using var connection = S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            AccessKey = "AKIDEXAMPLE", SecretKey = "secret", EndpointUrl = endpoint,
        });
        Assert.Equal(plain, connection.Options.IsPlainHttp);
        Assert.Equal(endpoint.TrimEnd('/'), ((Amazon.S3.AmazonS3Config)connection.Client.Config).ServiceURL?.TrimEnd('/'));
    }

    [Fact]
    public void A_credential_object_from_another_SDK_copy_is_read_through_GetCredentials()
    {
        var foreign = new ForeignLookingCredentials();
        using var connection = S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            Credential = foreign, EndpointUrl = "https://s3.example.net",
        });
        var credentials = connection.Options.Credentials!.GetCredentials();
        Assert.Equal(("AKIDFOREIGN", "foreign-secret", "token"), (credentials.AccessKey, credentials.SecretKey, credentials.Token));
        Assert.Equal("credential object", connection.CredentialSource);
        var error = Assert.Throws<S3TurboException>(() => S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            Credential = "not credentials", EndpointUrl = "https://s3.example.net",
        }));
        Assert.Equal(ErrorIds.InvalidCredentials, error.ErrorId);
    }

    /// <summary>Shaped like AWS.Tools' credentials from its own AWSSDK.Core: same members, unrelated types.</summary>
    sealed class ForeignLookingCredentials
    {
        public sealed class Immutable { public string AccessKey => "AKIDFOREIGN"; public string SecretKey => "foreign-secret"; public string Token => "token"; }
        public Immutable GetCredentials() => new();
    }
}

/// <summary>A store may refuse a write before it asks for the body (Ceph 20.2 does, for a storage class it lacks). .NET
/// still sends a body of up to 1 KiB after such a refusal and keeps the connection; Ceph, which never said 100
/// Continue, read that body as the start of the next request on the connection and answered it 405
/// MethodNotAllowed. Through a plain TCP relay (loopback latency lets the refusal arrive before the body leaves) the
/// old client failed on the first round.</summary>
public class RefusedWriteTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _fixture;
    public RefusedWriteTests(BucketFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task A_small_write_refused_before_its_body_leaves_the_connection_fit_for_the_next_request()
    {
        await using var relay = new TcpRelay(new Uri(TestS3.Endpoint));
        var options = TestS3.Options();
        // One connection, so every request after a refusal goes over the connection that carried it.
        using var s3 = S3ClientFactory.Create(new S3ConnectionOptions
        {
            Credentials = options.Credentials, EndpointUrl = relay.Endpoint, Region = options.Region, MaxConnections = 1,
        });
        var body = TempDir.Random(600, seed: 7);
        for (int round = 0; round < 5; round++)
        {
            var refused = await Assert.ThrowsAsync<Amazon.S3.AmazonS3Exception>(() => s3.PutObjectAsync(Put($"refused/{round}", body, "NO_SUCH_STORAGE_CLASS")));
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
            var stored = await s3.PutObjectAsync(Put($"stored/{round}", body, null));
            Assert.Equal(System.Net.HttpStatusCode.OK, stored.HttpStatusCode);
        }
    }

    Amazon.S3.Model.PutObjectRequest Put(string key, byte[] body, string? storageClass)
    {
        // As S3Turbo's uploads send it: a plain body with its length, not aws-chunked.
        var request = new Amazon.S3.Model.PutObjectRequest { BucketName = _fixture.Bucket, Key = key, InputStream = new MemoryStream(body), UseChunkEncoding = false };
        if (storageClass is not null) request.StorageClass = new Amazon.S3.S3StorageClass(storageClass);
        return request;
    }
}

/// <summary>Copies bytes both ways between a client and an endpoint, unchanged (unlike FaultProxy, which reads whole
/// requests): only the timing of a real network hop is added.</summary>
public sealed class TcpRelay : IAsyncDisposable
{
    readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
    readonly Uri _target;
    readonly CancellationTokenSource _stop = new();
    readonly Task _accepting;

    public TcpRelay(Uri target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Endpoint => $"http://127.0.0.1:{((System.Net.IPEndPoint)_listener.LocalEndpoint).Port}";

    async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = RelayAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException) { } // disposed
    }

    async Task RelayAsync(System.Net.Sockets.TcpClient client)
    {
        using (client)
        using (var server = new System.Net.Sockets.TcpClient())
        {
            await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            var up = Pump(client.GetStream(), server);
            var down = Pump(server.GetStream(), client);
            await Task.WhenAll(up, down);
        }
    }

    async Task Pump(Stream from, System.Net.Sockets.TcpClient to)
    {
        try
        {
            await from.CopyToAsync(to.GetStream(), _stop.Token);
            to.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
    }
}
