using Amazon.Runtime;

namespace S3Turbo.Engine.Connection;

/// <summary>Everything needed to build an S3 client. Credentials are already resolved.</summary>
public sealed class S3ConnectionOptions
{
    public AWSCredentials? Credentials { get; init; }
    /// <summary>AWS region name (e.g. eu-west-1). With a custom endpoint it is the signing region.</summary>
    public string? Region { get; init; }
    /// <summary>Custom endpoint for S3-compatible stores (http(s)://host:port).</summary>
    public string? EndpointUrl { get; init; }
    /// <summary>Null means: path-style with a custom endpoint, virtual-host style on AWS.</summary>
    public bool? ForcePathStyle { get; init; }
    public ChecksumCalculation ChecksumCalculation { get; init; } = ChecksumCalculation.WhenSupported;
    /// <summary>Retries per request (the SDK's standard retry mode).</summary>
    public int MaxRetries { get; init; } = 5;
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>An unreachable endpoint fails fast instead of waiting for the OS's TCP timeout.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxConnections { get; init; } = 512;

    public bool UsesCustomEndpoint => !string.IsNullOrEmpty(EndpointUrl);

    /// <summary>True when traffic would travel unencrypted (a plain-http custom endpoint).</summary>
    public bool IsPlainHttp => UsesCustomEndpoint && EndpointUrl!.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
}
