using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Download;

namespace S3Turbo.Engine.Tests;

/// <summary>PrefixDownload against the real server: key mapping, verification of objects S3Turbo did not upload, and
/// bodies that break off midway (bytes changed on the way: RunProofTests). The cmdlet's runs are in
/// tests/Pester/Receive-S3Prefix.Tests.ps1.</summary>
public class DownloadTests : IClassFixture<BucketFixture>, IDisposable
{
    readonly BucketFixture _s3;
    readonly string _work = Path.Combine(Path.GetTempPath(), "xunit-download-" + Guid.NewGuid().ToString("N")[..8]);

    public DownloadTests(BucketFixture s3) => _s3 = s3;

    public void Dispose()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    [Theory]
    [InlineData("../evil", ErrorIds.KeyEscapesDestination)]
    [InlineData("a/../../evil", ErrorIds.KeyEscapesDestination)]
    [InlineData("./x", ErrorIds.KeyEscapesDestination)]
    [InlineData("/abs", ErrorIds.KeyEscapesDestination)]
    [InlineData("C:/x", ErrorIds.KeyEscapesDestination)]
    [InlineData("a//b", ErrorIds.InvalidLocalName)]
    public void Keys_that_leave_the_destination_or_cannot_be_names_are_refused(string relativeKey, string errorId)
    {
        var root = LocalPaths.Root(_work);
        var error = Assert.Throws<S3TurboException>(() => LocalPaths.Map(root, relativeKey, "s3://b/" + relativeKey));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Contains("s3://b/" + relativeKey, error.Message);
    }

    [Fact]
    public void Ordinary_keys_map_under_the_destination()
    {
        var root = LocalPaths.Root(_work);
        Assert.Equal(Path.Combine(root, "a", "b c", "ファイル.txt"), LocalPaths.Map(root, "a/b c/ファイル.txt", "s3://b/k"));
        Assert.Equal(Path.Combine(root, "dir"), LocalPaths.Map(root, "dir/", "s3://b/k"));
        Assert.Equal(root, LocalPaths.Map(root, "", "s3://b/k"));
        Assert.Equal(ErrorIds.InvalidLocalName, Assert.Throws<S3TurboException>(() => LocalPaths.Map(root, new string('n', 256), "s3://b/k")).ErrorId);
    }

    Task<(TransferSummary Summary, List<DownloadResult> Results)> DownloadAsync(IAmazonS3 s3, string prefix, DownloadOptions options) =>
        Runs.DownloadAsync(s3, options, _s3.Bucket, prefix);

    /// <summary>A multipart upload the way other tools make one: 5 MiB parts, no S3Turbo metadata.</summary>
    async Task<byte[]> PutMultipartAsync(string key, int size, int partSize)
    {
        var data = TempDir.Random(size, seed: size);
        var start = await _s3.S3.InitiateMultipartUploadAsync(_s3.Bucket, key);
        var parts = new List<PartETag>();
        for (int offset = 0, number = 1; offset < size; offset += partSize, number++)
        {
            var part = await _s3.S3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _s3.Bucket, Key = key, UploadId = start.UploadId, PartNumber = number,
                InputStream = new MemoryStream(data, offset, Math.Min(partSize, size - offset)),
            });
            parts.Add(new PartETag(number, part.ETag));
        }
        await _s3.S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = _s3.Bucket, Key = key, UploadId = start.UploadId, PartETags = parts });
        return data;
    }

    [Fact]
    public async Task A_multipart_object_from_another_tool_is_verified_by_its_part_MD5s()
    {
        var data = await PutMultipartAsync("other/tool.bin", 17 * 1024 * 1024 + 3, 5 * 1024 * 1024);
        var (summary, results) = await DownloadAsync(_s3.S3, "other/", new DownloadOptions { Destination = Path.Combine(_work, "other") });
        Assert.True(summary.ItemsFailed == 0, string.Join("; ", results.Select(r => r.Reason)));
        var result = Assert.Single(results);
        Assert.Equal(DownloadStatus.Downloaded, result.Status);
        Assert.Equal("MD5 of parts", result.Verification);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_work, "other", "tool.bin")));
    }

    [Fact]
    public async Task Ranges_whose_bodies_break_off_resume_and_arrive_byte_exact()
    {
        var data = TempDir.Random(40 * 1024 * 1024, seed: 4);
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = "resets/big.bin", InputStream = new MemoryStream(data) });
        await using var proxy = new FaultProxy(TestS3.Endpoint);
        proxy.Rules = new[] { new FaultRule(FaultKind.ResetMidResponse, 0.3, "GET", "big.bin") { AfterBytes = 1024 * 1024 } };
        var into = Path.Combine(_work, "resets");
        var (summary, results) = await DownloadAsync(TestS3.ClientThrough(proxy), "resets/", new DownloadOptions { Destination = into, MaxAttempts = 10 });
        Assert.True(proxy.Injected(FaultKind.ResetMidResponse) > 0);
        Assert.Equal(0, summary.ItemsFailed);
        Assert.True(summary.Retries > 0);
        Assert.Equal("MD5", Assert.Single(results).Verification);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(into, "big.bin")));
        Assert.Single(Directory.GetFiles(into));
    }
}
