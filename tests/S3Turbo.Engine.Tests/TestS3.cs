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

    /// <summary>moto's server, the second S3 implementation on every machine (build.ps1 starts it for the queue
    /// tests): it keeps the checksums it is sent without verifying them, so uploads to it are proven by MD5.</summary>
    public static string MotoEndpoint => Environment.GetEnvironmentVariable("S3TURBO_TEST_MOTO_ENDPOINT") ?? "http://127.0.0.1:5055";

    public static IAmazonS3 MotoClient(string? endpoint = null) => S3ClientFactory.Create(new S3ConnectionOptions
    {
        Credentials = new Amazon.Runtime.BasicAWSCredentials("testing", "testing"), EndpointUrl = endpoint ?? MotoEndpoint, Region = "us-east-1",
        ConnectTimeout = TimeSpan.FromSeconds(3),
    });

    /// <summary>A client through a fault proxy (its requests judged, counted or delayed there).</summary>
    public static IAmazonS3 ClientThrough(FaultProxy proxy, int maxRetries = 8) => S3ClientFactory.Create(new S3ConnectionOptions
    {
        Credentials = new Amazon.Runtime.BasicAWSCredentials(AccessKey, SecretKey),
        EndpointUrl = proxy.Endpoint, Region = "us-east-1", MaxRetries = maxRetries, ConnectTimeout = TimeSpan.FromSeconds(3),
    });
}

/// <summary>A bucket of its own for one test class; emptied (objects and open multipart uploads) and deleted after.</summary>
public class BucketFixture : IAsyncLifetime
{
    public BucketFixture() : this(TestS3.Client()) { }
    protected BucketFixture(IAmazonS3 s3) => S3 = s3;

    public IAmazonS3 S3 { get; }
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

    /// <summary>Whether the test store refuses a body whose checksum is wrong (Ceph 20 and AWS do; Ceph 18 and moto
    /// do not, and uploads are then proven by MD5), asked as the engine asks it.</summary>
    public async Task<bool> StoreVerifiesChecksumsAsync()
    {
        var proof = new UploadProof(S3, ChecksumAlgorithm.CRC64NVME);
        using var budget = new RequestBudget(S3, 2);
        await proof.ProbeAsync(budget, Bucket, "probe/verifies", default);
        return proof.StoreVerifiesChecksums;
    }

    /// <summary>The checksum the store keeps for an object (HEAD with checksum mode), or null.</summary>
    public async Task<StoredChecksum?> StoredChecksumAsync(string key)
    {
        using var budget = new RequestBudget(S3, 2);
        return (await StoredContent.HeadAsync(budget, Bucket, key, null, default)).Checksum;
    }

    /// <summary>Whether the store keeps checksums at all (Ceph 18 does not): a small PutObject with a CRC64NVME
    /// header, then a HEAD for it.</summary>
    public async Task<bool> StoreKeepsChecksumsAsync()
    {
        var put = new PutObjectRequest { BucketName = Bucket, Key = "probe/keeps", InputStream = new MemoryStream(new byte[] { 1, 2, 3 }), UseChunkEncoding = false };
        new UploadProof(S3, ChecksumAlgorithm.CRC64NVME).Prepare(put, new byte[] { 1, 2, 3 });
        await S3.PutObjectAsync(put);
        bool keeps = await StoredChecksumAsync("probe/keeps") is not null;
        await S3.DeleteObjectAsync(Bucket, "probe/keeps");
        return keeps;
    }

    /// <summary>Whether the store keeps the whole-object checksum of a multipart upload (Ceph 20.2 and AWS do; moto
    /// keeps single PUTs' checksums but none for multipart uploads): a one-part upload declared FULL_OBJECT, then a HEAD.</summary>
    public async Task<bool> StoreKeepsMultipartChecksumsAsync()
    {
        if (_keepsMultipart is { } known) return known;
        var proof = new UploadProof(S3, ChecksumAlgorithm.CRC64NVME);
        var body = new byte[] { 1, 2, 3 };
        var initiate = new InitiateMultipartUploadRequest { BucketName = Bucket, Key = "probe/keeps-multipart" };
        proof.Initiate(initiate);
        var uploadId = (await S3.InitiateMultipartUploadAsync(initiate)).UploadId;
        var part = new UploadPartRequest { BucketName = Bucket, Key = initiate.Key, UploadId = uploadId, PartNumber = 1, InputStream = new MemoryStream(body) };
        var sent = proof.Prepare(part, body);
        var response = await S3.UploadPartAsync(part);
        var complete = new CompleteMultipartUploadRequest { BucketName = Bucket, Key = initiate.Key, UploadId = uploadId, PartETags = new() { UploadProof.PartOf(1, response, sent) } };
        proof.Complete(complete, new[] { sent });
        await S3.CompleteMultipartUploadAsync(complete);
        _keepsMultipart = await StoredChecksumAsync(initiate.Key) is not null;
        await S3.DeleteObjectAsync(Bucket, initiate.Key);
        return _keepsMultipart.Value;
    }
    bool? _keepsMultipart;

    public async Task<bool> ExistsAsync(string key)
    {
        try { await S3.GetObjectMetadataAsync(Bucket, key); return true; }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return false; }
    }
}

/// <summary>A bucket on moto's S3 (see TestS3.MotoEndpoint).</summary>
public sealed class MotoBucketFixture : BucketFixture
{
    public MotoBucketFixture() : base(TestS3.MotoClient()) { }
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

/// <summary>A whole run of an engine as the cmdlets make one: prepared (preflight, checksum probe), fed, drained;
/// its summary and every outcome.</summary>
public static class Runs
{
    public static async Task<(TransferSummary Summary, List<TResult> Results)> RunAsync<TItem, TResult>(
        TransferEngine<TItem, NoPart, TResult> engine, Func<CancellationToken, Task> feed, CancellationToken cancellationToken = default)
        where TItem : Transfer.TransferItem where TResult : class, ITransferOutcome
    {
        using var _ = engine;
        var results = new List<TResult>();
        var reader = Task.Run(async () => { await foreach (var r in engine.Results.Outcomes()) results.Add(r); });
        await engine.PrepareAsync(cancellationToken);
        await feed(cancellationToken);
        engine.CompleteAdding();
        var summary = await engine.Completion;
        await reader;
        return (summary, results);
    }

    public static Task<(TransferSummary Summary, List<UploadResult> Results)> UploadAsync(IAmazonS3 s3, Upload.UploadOptions options, IEnumerable<Upload.UploadItem> items, CancellationToken cancellationToken = default)
    {
        var engine = Upload.DirectoryUpload.Start(s3, options, cancellationToken);
        return RunAsync(engine, ct => engine.AddAllAsync(items, ct), cancellationToken);
    }

    public static Task<(TransferSummary Summary, List<DownloadResult> Results)> DownloadAsync(IAmazonS3 s3, Download.DownloadOptions options, string bucket, string prefix, CancellationToken cancellationToken = default)
    {
        var (engine, download) = Download.PrefixDownload.Start(s3, options, cancellationToken);
        return RunAsync(engine, ct => engine.AddAllAsync(download.PlanPrefixAsync(bucket, prefix, ct), ct), cancellationToken);
    }

    public static Task<(TransferSummary Summary, List<CopyResult> Results)> CopyAsync(IAmazonS3 s3, Copy.CopyOptions options, string bucket, string prefix, CancellationToken cancellationToken = default)
    {
        var (engine, copy) = Copy.PrefixCopy.Start(s3, options, cancellationToken);
        return RunAsync(engine, ct => engine.AddAllAsync(copy.PlanPrefixAsync(bucket, prefix, ct), ct), cancellationToken);
    }

    /// <summary>The files of a directory tree as upload items keyed under <paramref name="prefix"/>.</summary>
    public static IEnumerable<Upload.UploadItem> Tree(string root, string prefix) =>
        Upload.LocalFileEnumerator.Enumerate(root, recurse: true, followSymlinks: false, new WildcardFilter(null, null), new KeyMapper(root, prefix), default);
}
