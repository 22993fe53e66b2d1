using Amazon;
using Amazon.S3;

namespace S3Turbo.Engine.Connection;

/// <summary>What a caller (the cmdlets) knows about where and as whom to connect, in plain values only: the
/// cmdlet assembly lives outside the engine's AssemblyLoadContext and must never name an SDK type.</summary>
public sealed class S3ConnectionRequest
{
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }
    public string? SessionToken { get; init; }
    public string? ProfileName { get; init; }
    public string? ProfileLocation { get; init; }
    /// <summary>-Credential: any object with GetCredentials(), or with a Credentials property holding one
    /// (AWS.Tools' types, from its own copy of the SDK, qualify). Anything else is an error.</summary>
    public object? Credential { get; init; }
    /// <summary>$StoredAWSCredentials: a credential object as above, or a profile name; ignored when unusable,
    /// as AWS.Tools does.</summary>
    public object? StoredCredential { get; init; }
    /// <summary>-Region, else $StoredAWSRegion; profile and environment are consulted after it.</summary>
    public string? Region { get; init; }
    public string? EndpointUrl { get; init; }
    public bool? ForcePathStyle { get; init; }
    public ChecksumCalculation ChecksumCalculation { get; init; } = ChecksumCalculation.WhenSupported;
}

/// <summary>A configured S3 client plus where its settings came from. The engine's entry points accept it, so
/// callers outside the engine's load context hold the client without seeing the SDK's types.</summary>
public sealed class S3Connection : IDisposable
{
    S3Connection(IAmazonS3 client, S3ConnectionOptions options, string credentialSource)
    { Client = client; Options = options; CredentialSource = credentialSource; }

    public IAmazonS3 Client { get; }
    public S3ConnectionOptions Options { get; }
    /// <summary>Where the credentials came from, for verbose output (never the secret itself).</summary>
    public string CredentialSource { get; }

    /// <summary>Resolves credentials, region and endpoint in AWS.Tools.Common's order and builds the client.</summary>
    public static S3Connection Create(S3ConnectionRequest request)
    {
        var credentialObjects = new List<Amazon.Runtime.AWSCredentials>();
        if (request.Credential is not null)
            credentialObjects.Add(WrapCredential(request.Credential) ?? throw new S3TurboException(ErrorIds.InvalidCredentials, FailureKind.InvalidArgument,
                $"-Credential must be an AWS credentials object (with a GetCredentials() method); got {request.Credential.GetType().FullName}.", null));
        string? storedProfile = request.StoredCredential as string;
        if (storedProfile is null && request.StoredCredential is not null && WrapCredential(request.StoredCredential) is { } stored)
            credentialObjects.Add(stored);
        var resolved = CredentialResolver.Resolve(new CredentialRequest
        {
            AccessKey = request.AccessKey, SecretKey = request.SecretKey, SessionToken = request.SessionToken,
            ProfileName = request.ProfileName ?? (credentialObjects.Count == 0 && storedProfile?.Length > 0 ? storedProfile : null),
            ProfileLocation = request.ProfileLocation, CredentialObjects = credentialObjects,
        });
        string? region = request.Region ?? resolved.ProfileRegion
            ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
        string? endpoint = request.EndpointUrl ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        // Last, as AWS.Tools does: the SDK's fallback chain, which ends with the EC2 instance's own region (instance
        // metadata), so a runbook on an instance with a role needs no -Region.
        if (region is null && string.IsNullOrEmpty(endpoint)) region = FallbackRegion();
        var options = new S3ConnectionOptions
        {
            Credentials = resolved.Credentials,
            Region = region,
            EndpointUrl = string.IsNullOrEmpty(endpoint) ? null : endpoint,
            ForcePathStyle = request.ForcePathStyle,
            ChecksumCalculation = request.ChecksumCalculation,
        };
        if (options.Region is null && !options.UsesCustomEndpoint)
            throw new S3TurboException(ErrorIds.NoRegion, FailureKind.InvalidArgument,
                "No AWS region is set. Pass -Region, set $StoredAWSRegion (Set-DefaultAWSRegion) or the AWS_REGION environment variable.", null);
        return new S3Connection(S3ClientFactory.Create(options), options, resolved.Source);
    }

    static string? FallbackRegion()
    {
        try { return Amazon.Runtime.FallbackRegionFactory.GetRegionEndpoint(includeInstanceMetadata: true)?.SystemName; }
        catch (Exception) { return null; } // no metadata service: not on EC2
    }

    static Amazon.Runtime.AWSCredentials? WrapCredential(object candidate) =>
        ForeignCredentials.TryWrap(candidate) ?? ForeignCredentials.TryWrap(candidate.GetType().GetProperty("Credentials")?.GetValue(candidate));

    /// <summary>Every AWS region the SDK knows, for tab completion.</summary>
    public static IEnumerable<(string Name, string DisplayName)> KnownRegions() =>
        RegionEndpoint.EnumerableAllRegions.Select(r => (r.SystemName, r.DisplayName));

    public void Dispose() => Client.Dispose();
}
