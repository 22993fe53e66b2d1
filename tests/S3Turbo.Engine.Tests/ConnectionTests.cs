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
