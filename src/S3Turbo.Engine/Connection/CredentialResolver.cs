using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;

namespace S3Turbo.Engine.Connection;

/// <summary>What the caller supplied, in AWS.Tools.Common's precedence order (first match wins):
/// explicit keys, named profile, a credential object (-Credential, then $StoredAWSCredentials), then the
/// SDK's default chain (environment, default profile, container role, instance role).</summary>
public sealed class CredentialRequest
{
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }
    public string? SessionToken { get; init; }
    public string? ProfileName { get; init; }
    public string? ProfileLocation { get; init; }
    /// <summary>Credential objects in precedence order (e.g. -Credential, then $StoredAWSCredentials).</summary>
    public IReadOnlyList<AWSCredentials> CredentialObjects { get; init; } = Array.Empty<AWSCredentials>();
}

public sealed class ResolvedCredentials
{
    public ResolvedCredentials(AWSCredentials credentials, string source, string? profileRegion)
    { Credentials = credentials; Source = source; ProfileRegion = profileRegion; }
    public AWSCredentials Credentials { get; }
    /// <summary>Where they came from, for verbose output (never the secret itself).</summary>
    public string Source { get; }
    public string? ProfileRegion { get; }
}

public static class CredentialResolver
{
    public static ResolvedCredentials Resolve(CredentialRequest request)
    {
        if (!string.IsNullOrEmpty(request.AccessKey) || !string.IsNullOrEmpty(request.SecretKey))
        {
            if (string.IsNullOrEmpty(request.AccessKey) || string.IsNullOrEmpty(request.SecretKey))
                throw new S3TurboException(ErrorIds.InvalidCredentials, FailureKind.InvalidArgument,
                    "-AccessKey and -SecretKey must be given together.", null);
            AWSCredentials explicitKeys = string.IsNullOrEmpty(request.SessionToken)
                ? new BasicAWSCredentials(request.AccessKey, request.SecretKey)
                : new SessionAWSCredentials(request.AccessKey, request.SecretKey, request.SessionToken);
            return new ResolvedCredentials(explicitKeys, "parameters (-AccessKey/-SecretKey)", null);
        }
        if (!string.IsNullOrEmpty(request.ProfileName))
        {
            // A named profile that does not exist is an error, never a silent fall-through (AWS.Tools does the same).
            var chain = new CredentialProfileStoreChain(request.ProfileLocation);
            if (!chain.TryGetProfile(request.ProfileName, out var profile) ||
                !chain.TryGetAWSCredentials(request.ProfileName, out var profileCredentials))
                throw new S3TurboException(ErrorIds.ProfileNotFound, FailureKind.NotFound,
                    $"The credential profile '{request.ProfileName}' was not found" +
                    (string.IsNullOrEmpty(request.ProfileLocation) ? "." : $" in '{request.ProfileLocation}'."), request.ProfileName);
            return new ResolvedCredentials(profileCredentials, $"profile '{request.ProfileName}'", profile.Region?.SystemName);
        }
        if (request.CredentialObjects.Count > 0)
            return new ResolvedCredentials(request.CredentialObjects[0], "credential object", null);
        try
        {
            var fallback = DefaultAWSCredentialsIdentityResolver.GetCredentials(null);
            return new ResolvedCredentials(fallback, "default chain (environment, default profile, container or instance role)", null);
        }
        catch (Exception ex) when (ex is AmazonClientException or InvalidOperationException)
        {
            throw new S3TurboException(ErrorIds.NoCredentials, FailureKind.Authentication,
                "No AWS credentials were found. Pass -AccessKey/-SecretKey, -ProfileName or -Credential, set " +
                "$StoredAWSCredentials, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.", null, ex);
        }
    }
}

/// <summary>Adapts any credential object with a GetCredentials() method returning AccessKey/SecretKey/Token
/// (e.g. an AWS.Tools AWSCredentials loaded from another copy of AWSSDK.Core) to this SDK's type.
/// It re-reads on every signing, so refreshing credentials keep refreshing.</summary>
public sealed class ForeignCredentials : AWSCredentials
{
    readonly object _source;
    readonly System.Reflection.MethodInfo _getCredentials;

    ForeignCredentials(object source, System.Reflection.MethodInfo getCredentials)
    { _source = source; _getCredentials = getCredentials; }

    public static AWSCredentials? TryWrap(object? candidate)
    {
        if (candidate is null) return null;
        if (candidate is AWSCredentials own) return own;
        var method = candidate.GetType().GetMethod("GetCredentials", Type.EmptyTypes);
        return method is null ? null : new ForeignCredentials(candidate, method);
    }

    public override ImmutableCredentials GetCredentials()
    {
        var value = _getCredentials.Invoke(_source, null)
            ?? throw new InvalidOperationException("The credential object returned no credentials.");
        string? Read(string name) => value.GetType().GetProperty(name)?.GetValue(value) as string;
        return new ImmutableCredentials(Read("AccessKey"), Read("SecretKey"), Read("Token"));
    }
}
