using System.Management.Automation;
using Amazon.Runtime;
using Amazon.S3;
using S3Turbo.Engine;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Infrastructure;

/// <summary>Credential, region and endpoint parameters shared by every S3Turbo cmdlet, named and resolved as in
/// AWS.Tools.Common: explicit keys → -ProfileName → -Credential → $StoredAWSCredentials → environment →
/// default profile → container/instance role. Region: -Region → $StoredAWSRegion → environment/profile.</summary>
public abstract class S3Cmdlet : AsyncCmdlet
{
    static readonly HashSet<string> WarnedPlainHttpEndpoints = new(StringComparer.OrdinalIgnoreCase);

    [Parameter] [Alias("AK")] public string? AccessKey { get; set; }
    [Parameter] [Alias("SK", "SecretAccessKey")] public string? SecretKey { get; set; }
    [Parameter] [Alias("ST")] public string? SessionToken { get; set; }
    [Parameter] [Alias("StoredCredentials", "AWSProfileName")] public string? ProfileName { get; set; }
    [Parameter] [Alias("AWSProfilesLocation", "ProfilesLocation")] public string? ProfileLocation { get; set; }
    /// <summary>An AWSCredentials object (also one created by AWS.Tools, from its own copy of the SDK).</summary>
    [Parameter] public object? Credential { get; set; }
    [Parameter] [ArgumentCompleter(typeof(RegionCompleter))] public string? Region { get; set; }
    [Parameter] public string? EndpointUrl { get; set; }
    [Parameter] public SwitchParameter ForcePathStyleAddressing { get; set; }
    [Parameter] public ChecksumCalculation RequestChecksumCalculation { get; set; } = ChecksumCalculation.WhenSupported;

    /// <summary>Builds the client; must run on the pipeline thread (it reads session variables).</summary>
    protected (IAmazonS3 Client, S3ConnectionOptions Options) CreateClient()
    {
        var credentialObjects = new List<AWSCredentials>();
        string? storedProfile = null;
        if (Credential is not null)
            credentialObjects.Add(WrapCredential(Credential) ?? throw new PSArgumentException(
                $"-Credential must be an AWS credentials object (with a GetCredentials() method); got {Credential.GetType().FullName}.", nameof(Credential)));
        var stored = SessionState.PSVariable.GetValue("StoredAWSCredentials");
        if (stored is PSObject wrapped) stored = wrapped.BaseObject;
        if (stored is string profileName && profileName.Length > 0) storedProfile = profileName;
        else if (stored is not null && WrapCredential(stored) is { } storedCredentials) credentialObjects.Add(storedCredentials);

        var request = new CredentialRequest
        {
            AccessKey = AccessKey, SecretKey = SecretKey, SessionToken = SessionToken,
            ProfileName = ProfileName ?? (credentialObjects.Count == 0 ? storedProfile : null),
            ProfileLocation = ProfileLocation, CredentialObjects = credentialObjects,
        };
        var resolved = CredentialResolver.Resolve(request);
        WriteVerbose($"Credentials from {resolved.Source}.");

        string? region = Region ?? (SessionState.PSVariable.GetValue("StoredAWSRegion") as string) ?? resolved.ProfileRegion
            ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
        string? endpoint = EndpointUrl ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        var options = new S3ConnectionOptions
        {
            Credentials = resolved.Credentials,
            Region = region,
            EndpointUrl = string.IsNullOrEmpty(endpoint) ? null : endpoint,
            ForcePathStyle = MyInvocation.BoundParameters.ContainsKey(nameof(ForcePathStyleAddressing)) ? ForcePathStyleAddressing.IsPresent : null,
            ChecksumCalculation = RequestChecksumCalculation,
        };
        if (options.IsPlainHttp)
        {
            lock (WarnedPlainHttpEndpoints)
                if (WarnedPlainHttpEndpoints.Add(options.EndpointUrl!))
                    WriteWarning($"The endpoint {options.EndpointUrl} uses plain http: data and request signatures travel unencrypted.");
        }
        if (options.Region is null && !options.UsesCustomEndpoint)
            throw new S3TurboException("NoRegion", FailureKind.InvalidArgument,
                "No AWS region is set. Pass -Region, set $StoredAWSRegion (Set-DefaultAWSRegion) or the AWS_REGION environment variable.", null);
        WriteVerbose($"S3 endpoint: {options.EndpointUrl ?? "AWS"}, region {options.Region ?? "us-east-1"}, checksums {options.ChecksumCalculation}.");
        return (S3ClientFactory.Create(options), options);
    }

    /// <summary>-WhatIf given, or $WhatIfPreference set in the caller's scope.</summary>
    protected bool IsWhatIf() => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference", false));

    static AWSCredentials? WrapCredential(object value)
    {
        if (value is PSObject ps) value = ps.BaseObject;
        return ForeignCredentials.TryWrap(value)
            ?? ForeignCredentials.TryWrap(value.GetType().GetProperty("Credentials")?.GetValue(value));
    }

    /// <summary>Engine exceptions raised while building the client become terminating errors with their ErrorId.</summary>
    protected (IAmazonS3 Client, S3ConnectionOptions Options) CreateClientOrThrow()
    {
        try { return CreateClient(); }
        catch (S3TurboException ex) { ThrowTerminatingError(ToErrorRecord(ex)); throw; }
    }
}

/// <summary>Tab completion for -Region from the SDK's region list.</summary>
public sealed class RegionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
        Amazon.RegionEndpoint.EnumerableAllRegions
            .Where(r => r.SystemName.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(r => new CompletionResult(r.SystemName, r.SystemName, CompletionResultType.ParameterValue, r.DisplayName));
}
