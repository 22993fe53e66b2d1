using System.Collections.Concurrent;

namespace S3Turbo.Engine.Connection;

/// <summary>Bucket names for tab completion: one ListBuckets per endpoint and identity, kept for a minute, so
/// pressing Tab repeatedly does not call S3 each time. Completion must never fail or hang, so any error or a
/// slow store yields no names.</summary>
public static class BucketNameCatalog
{
    static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    static readonly ConcurrentDictionary<string, (DateTime Expires, string[] Names)> Cache = new();

    public static IReadOnlyList<string> GetNames(S3ConnectionRequest request)
    {
        // The key names the identity but holds no secret.
        string key = string.Join("|", request.EndpointUrl ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? "",
            request.Region, request.AccessKey, request.ProfileName, request.ProfileLocation,
            request.Credential is null ? "" : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(request.Credential).ToString(),
            request.StoredCredential is null ? "" : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(request.StoredCredential).ToString());
        if (Cache.TryGetValue(key, out var cached) && cached.Expires > DateTime.UtcNow) return cached.Names;
        try
        {
            using var connection = S3Connection.Create(request);
            using var timeout = new CancellationTokenSource(Timeout);
            var response = connection.Client.ListBucketsAsync(new Amazon.S3.Model.ListBucketsRequest(), timeout.Token).GetAwaiter().GetResult();
            var names = (response.Buckets ?? new()).Select(b => b.BucketName).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Cache[key] = (DateTime.UtcNow + CacheFor, names);
            return names;
        }
        catch (Exception) { return Array.Empty<string>(); }
    }
}
