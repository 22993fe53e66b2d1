using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Tests;

/// <summary>The real S3 server the tests use: S3TURBO_TEST_* (set by build.ps1 -Task Test, or by hand to point at
/// MinIO/AWS), else the local Ceph gateway's defaults.</summary>
public static class TestS3
{
    public static string Endpoint => Environment.GetEnvironmentVariable("S3TURBO_TEST_ENDPOINT") ?? "http://127.0.0.1:7480";
    public static string AccessKey => Environment.GetEnvironmentVariable("S3TURBO_TEST_ACCESS_KEY") ?? "S3TURBO";
    public static string SecretKey => Environment.GetEnvironmentVariable("S3TURBO_TEST_SECRET_KEY") ?? "S3TURBO-SECRET";

    public static S3ConnectionOptions Options(string? endpoint = null, string? secret = null) => new()
    {
        Credentials = new Amazon.Runtime.BasicAWSCredentials(AccessKey, secret ?? SecretKey),
        EndpointUrl = endpoint ?? Endpoint,
        Region = Environment.GetEnvironmentVariable("S3TURBO_TEST_REGION") ?? "us-east-1",
        ConnectTimeout = TimeSpan.FromSeconds(3),
    };

    public static IAmazonS3 Client() => S3ClientFactory.Create(Options());

    /// <summary>A client through a fault proxy (its requests judged, counted or delayed there).</summary>
    public static IAmazonS3 ClientThrough(FaultProxy proxy, int maxRetries = 8) => S3ClientFactory.Create(new S3ConnectionOptions
    {
        Credentials = new Amazon.Runtime.BasicAWSCredentials(AccessKey, SecretKey),
        EndpointUrl = proxy.Endpoint, Region = "us-east-1", MaxRetries = maxRetries, ConnectTimeout = TimeSpan.FromSeconds(3),
    });
}

/// <summary>A bucket of its own for one test class; emptied (objects and open multipart uploads) and deleted after.</summary>
public sealed class BucketFixture : IAsyncLifetime
{
    public IAmazonS3 S3 { get; } = TestS3.Client();
    public string Bucket { get; } = "xunit-" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync() => await S3.PutBucketAsync(Bucket);

    public async Task DisposeAsync()
    {
        foreach (var upload in await OpenUploadsAsync())
            await S3.AbortMultipartUploadAsync(Bucket, upload.Key, upload.UploadId);
        string? token = null;
        do
        {
            var page = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, ContinuationToken = token });
            if (page.S3Objects is { Count: > 0 } objects)
                await S3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = Bucket, Objects = objects.Select(o => new KeyVersion { Key = o.Key }).ToList() });
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        await S3.DeleteBucketAsync(Bucket);
    }

    public async Task<List<MultipartUpload>> OpenUploadsAsync(string? prefix = null) =>
        (await S3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket, Prefix = prefix })).MultipartUploads ?? new();

    public async Task<byte[]> GetBytesAsync(string key)
    {
        using var response = await S3.GetObjectAsync(Bucket, key);
        using var memory = new MemoryStream();
        await response.ResponseStream.CopyToAsync(memory);
        return memory.ToArray();
    }

    public async Task<bool> ExistsAsync(string key)
    {
        try { await S3.GetObjectMetadataAsync(Bucket, key); return true; }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return false; }
    }
}

/// <summary>A temporary directory, deleted after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "s3turbo-" + Guid.NewGuid().ToString("N")[..8]);
    public TempDir() => Directory.CreateDirectory(Path);

    public string Write(string relative, byte[] content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return full;
    }

    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class TestStreams
{
    /// <summary>Writes <paramref name="data"/> to <paramref name="stream"/> in writes of <paramref name="chunk"/> bytes.</summary>
    public static async Task WriteInChunksAsync(Stream stream, byte[] data, int chunk, CancellationToken cancellationToken = default)
    {
        for (int offset = 0; offset < data.Length; offset += chunk)
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(chunk, data.Length - offset)), cancellationToken);
    }
}

public static class EngineResults
{
    /// <summary>The outcomes of an engine whose items yield no partial results, as they come.</summary>
    public static async IAsyncEnumerable<TResult> Outcomes<TResult>(this System.Threading.Channels.ChannelReader<ItemOutput<NoPart, TResult>> results) where TResult : class
    {
        await foreach (var output in results.ReadAllAsync()) yield return output.Outcome!;
    }
}
