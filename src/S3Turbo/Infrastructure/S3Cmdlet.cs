using System.Management.Automation;
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

    /// <summary>Builds the connection; must run on the pipeline thread (it reads session variables).</summary>
    protected S3Connection Connect()
    {
        var connection = S3Connection.Create(ConnectionRequest(MyInvocation.BoundParameters, SessionState.PSVariable.GetValue));
        var options = connection.Options;
        WriteVerbose($"Credentials from {connection.CredentialSource}.");
        if (options.IsPlainHttp)
        {
            lock (WarnedPlainHttpEndpoints)
                if (WarnedPlainHttpEndpoints.Add(options.EndpointUrl!))
                    WriteWarning($"The endpoint {options.EndpointUrl} uses plain http: data and request signatures travel unencrypted.");
        }
        WriteVerbose($"S3 endpoint: {options.EndpointUrl ?? "AWS"}, region {options.Region ?? "us-east-1"}, checksums {options.ChecksumCalculation}.");
        return connection;
    }

    /// <summary>The connection request from this base's parameters, as bound to a command or typed so far (tab
    /// completion), and the session's AWS.Tools variables: the one place that reads -Region before $StoredAWSRegion
    /// and takes $StoredAWSCredentials from the session.</summary>
    internal static S3ConnectionRequest ConnectionRequest(System.Collections.IDictionary parameters, Func<string, object?> sessionVariable)
    {
        object? Value(string name) => parameters.Contains(name) ? Unwrap(parameters[name]) : null;
        string? Text(string name) => Value(name)?.ToString();
        return new S3ConnectionRequest
        {
            AccessKey = Text(nameof(AccessKey)), SecretKey = Text(nameof(SecretKey)), SessionToken = Text(nameof(SessionToken)),
            ProfileName = Text(nameof(ProfileName)), ProfileLocation = Text(nameof(ProfileLocation)),
            Credential = Value(nameof(Credential)),
            StoredCredential = Unwrap(sessionVariable("StoredAWSCredentials")),
            Region = Text(nameof(Region)) ?? Unwrap(sessionVariable("StoredAWSRegion")) as string,
            EndpointUrl = Text(nameof(EndpointUrl)),
            ForcePathStyle = Value(nameof(ForcePathStyleAddressing)) switch
            {
                null => null,
                SwitchParameter present => present.IsPresent,
                var typed => LanguagePrimitives.IsTrue(typed),
            },
            ChecksumCalculation = Value(nameof(RequestChecksumCalculation)) is { } given && LanguagePrimitives.TryConvertTo(given, out ChecksumCalculation checksums)
                ? checksums : ChecksumCalculation.WhenSupported,
        };
    }

    /// <summary>The object behind a PowerShell wrapper (values from session variables and bound parameters).</summary>
    internal static object? Unwrap(object? value) => value is PSObject ps ? ps.BaseObject : value;

    /// <summary>Engine exceptions raised while building the client become terminating errors with their ErrorId.</summary>
    protected S3Connection ConnectOrThrow()
    {
        try { return Connect(); }
        catch (S3TurboException ex) { ThrowRunFailure(ex); throw; }
    }
}
