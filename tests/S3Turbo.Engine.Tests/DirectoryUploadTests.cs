using Amazon.S3;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>DirectoryUpload against the real S3 server.</summary>
public class DirectoryUploadTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public DirectoryUploadTests(BucketFixture s3) => _s3 = s3;

    static async Task<(TransferSummary Summary, List<UploadResult> Results)> RunAsync(IAmazonS3 client, UploadOptions options, IEnumerable<UploadItem> items, CancellationToken cancellationToken = default)
    {
        using var upload = DirectoryUpload.Start(client, options, cancellationToken);
        var results = new List<UploadResult>();
        var reader = Task.Run(async () => { await foreach (var r in upload.Results.Outcomes()) results.Add(r); });
        foreach (var item in items) await upload.AddAsync(item, cancellationToken);
        upload.CompleteAdding();
        var summary = await upload.Completion;
        await reader;
        return (summary, results);
    }

    static IEnumerable<UploadItem> Tree(TempDir dir, string prefix) =>
        LocalFileEnumerator.Enumerate(dir.Path, recurse: true, followSymlinks: false, new WildcardFilter(null, null), new KeyMapper(dir.Path, prefix), default);

    [Fact]
    public async Task A_tree_round_trips_byte_exact_including_multipart_and_empty_files()
    {
        using var dir = new TempDir();
        var files = new Dictionary<string, byte[]>
        {
            ["a.txt"] = "hello"u8.ToArray(),
            ["sub dir/ünï cødé.bin"] = TempDir.Random(100_000, 1),
            ["sub dir/deeper/empty"] = Array.Empty<byte>(),
            ["big.bin"] = TempDir.Random(13 * 1024 * 1024 + 7, 2), // 3 parts of 5 MiB, the last partial
        };
        foreach (var (name, bytes) in files) dir.Write(name, bytes);

        var options = new UploadOptions { BucketName = _s3.Bucket, Mode = TransferMode.Overwrite, MultipartThreshold = 5 << 20, PartSize = 5 << 20 };
        var (summary, results) = await RunAsync(_s3.S3, options, Tree(dir, "rt"));

        Assert.Equal(files.Count, summary.ItemsTransferred);
        Assert.Equal(0, summary.ItemsFailed);
        Assert.Equal(3, results.Single(r => r.Key == "rt/big.bin").Parts);
        foreach (var (name, bytes) in files) Assert.Equal(bytes, await _s3.GetBytesAsync("rt/" + name));
        Assert.Empty(await _s3.OpenUploadsAsync("rt/"));
    }

    /// <summary>The SDK's streaming upload encoding (Content-Encoding: aws-chunked) is kept as the object's
    /// Content-Encoding by stores such as Ceph 18.2 "Reef" ("gzip, aws-chunked" for a -Gzip object, which no browser or
    /// CDN decodes). So no upload request may carry it: each goes with its length, and its checksum in a header. The
    /// proxy sees every request S3Turbo makes; the objects keep exactly the Content-Encoding asked for.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Uploads_never_use_the_aws_chunked_encoding_and_objects_keep_the_content_encoding_asked_for(bool tls)
    {
        using var dir = new TempDir();
        dir.Write("page.html", System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<p>hello</p>", 5000))));
        dir.Write("data.bin", TempDir.Random(300_000, 4));
        dir.Write("big.bin", TempDir.Random(11 * 1024 * 1024 + 5, 5));
        dir.Write("big.json", System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 700_000).Select(i => $"{{\"n\":{i}}},"))));
        await using var proxy = new FaultProxy(TestS3.Endpoint, tls: tls);
        var client = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(TestS3.AccessKey, TestS3.SecretKey),
            new AmazonS3Config { ServiceURL = proxy.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", HttpClientFactory = new TrustingHttpClientFactory() });
        var prefix = $"encoding-{tls}";
        var options = new UploadOptions
        {
            BucketName = _s3.Bucket, Mode = TransferMode.Overwrite, MultipartThreshold = 5 << 20, PartSize = 5 << 20,
            GzipContentTypes = new[] { "text/html", "application/json" },
        };
        var (summary, _) = await RunAsync(client, options, Tree(dir, prefix));
        Assert.Equal(4, summary.ItemsTransferred);
        Assert.Empty(proxy.RequestsWithHeader("Content-Encoding", "aws-chunked"));
        Assert.Empty(proxy.RequestsWithHeader("x-amz-content-sha256", "STREAMING"));
        foreach (var (name, encoding) in new[] { ("page.html", "gzip"), ("big.json", "gzip"), ("data.bin", null), ("big.bin", null) })
        {
            var head = await _s3.S3.GetObjectMetadataAsync(_s3.Bucket, $"{prefix}/{name}");
            Assert.Equal(encoding, string.IsNullOrEmpty(head.Headers.ContentEncoding) ? null : head.Headers.ContentEncoding);
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Path, "big.bin")), await _s3.GetBytesAsync($"{prefix}/big.bin"));
    }

    [Fact]
    public async Task A_link_to_a_file_sends_the_target_bytes_and_a_dangling_link_is_a_named_failure()
    {
        if (OperatingSystem.IsWindows()) return; // links need privileges there
        using var dir = new TempDir();
        var target = dir.Write("real.txt", "the target"u8.ToArray());
        File.CreateSymbolicLink(Path.Combine(dir.Path, "link.txt"), target);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "dangling.txt"), Path.Combine(dir.Path, "gone.txt"));
        var options = new UploadOptions { BucketName = _s3.Bucket, Mode = TransferMode.Overwrite };
        var (summary, results) = await RunAsync(_s3.S3, options, Tree(dir, "links"));

        Assert.Equal(2, summary.ItemsTransferred);
        Assert.Equal("the target"u8.ToArray(), await _s3.GetBytesAsync("links/link.txt"));
        var dangling = Assert.Single(results, r => r.Status == UploadStatus.Failed);
        Assert.Equal(ErrorIds.PathNotFound, dangling.Error!.ErrorId);
        Assert.Contains("dangling.txt", dangling.Reason);
    }

    [Fact]
    public async Task Update_skips_unchanged_files_and_resends_changed_ones_Add_skips_existing()
    {
        using var dir = new TempDir();
        dir.Write("same.txt", "same"u8.ToArray());
        var changed = dir.Write("changed.txt", "v1"u8.ToArray());
        dir.Write("big.bin", TempDir.Random(6 * 1024 * 1024, 3));
        var options = new UploadOptions { BucketName = _s3.Bucket, MultipartThreshold = 5 << 20, PartSize = 5 << 20 };
        await RunAsync(_s3.S3, options, Tree(dir, "upd"));

        File.WriteAllBytes(changed, "v2"u8.ToArray()); // same size, different content
        var (summary, results) = await RunAsync(_s3.S3, options, Tree(dir, "upd"));
        Assert.Equal(1, summary.ItemsTransferred);
        Assert.Equal(2, summary.ItemsSkipped);
        Assert.Equal(UploadStatus.Uploaded, results.Single(r => r.Key == "upd/changed.txt").Status);
        Assert.Equal(UploadStatus.Skipped, results.Single(r => r.Key == "upd/big.bin").Status); // multipart ETag recomputed
        Assert.Equal("v2"u8.ToArray(), await _s3.GetBytesAsync("upd/changed.txt"));

        File.WriteAllBytes(changed, "v3"u8.ToArray());
        var add = await RunAsync(_s3.S3, new UploadOptions { BucketName = _s3.Bucket, Mode = TransferMode.Add }, Tree(dir, "upd"));
        Assert.Equal(3, add.Summary.ItemsSkipped);
        Assert.Equal("v2"u8.ToArray(), await _s3.GetBytesAsync("upd/changed.txt"));
    }

    [Fact]
    public async Task WhatIf_writes_nothing()
    {
        using var dir = new TempDir();
        dir.Write("w.txt", "x"u8.ToArray());
        var (summary, results) = await RunAsync(_s3.S3, new UploadOptions { BucketName = _s3.Bucket, WhatIf = true }, Tree(dir, "whatif"));
        Assert.Equal(UploadStatus.WouldUpload, Assert.Single(results).Status);
        Assert.True(summary.WhatIf);
        Assert.False(await _s3.ExistsAsync("whatif/w.txt"));
    }

    [Fact]
    public async Task Cancelling_mid_multipart_aborts_every_upload_it_started()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++) dir.Write($"big{i}.bin", TempDir.Random(30 * 1024 * 1024, 10 + i));
        using var cts = new CancellationTokenSource();
        var options = new UploadOptions { BucketName = _s3.Bucket, Mode = TransferMode.Overwrite, MultipartThreshold = 5 << 20, PartSize = 5 << 20, MaxConcurrency = 2 };
        using var upload = DirectoryUpload.Start(_s3.S3, options, cts.Token);
        var drain = Task.Run(async () => { try { await foreach (var _ in upload.Results.Outcomes()) { } } catch (OperationCanceledException) { } });
        foreach (var item in Tree(dir, "cancel")) await upload.AddAsync(item);
        upload.CompleteAdding();
        // Wait until a multipart upload is open on the server, then cancel.
        for (int i = 0; i < 200 && (await _s3.OpenUploadsAsync("cancel/")).Count == 0; i++) await Task.Delay(25);
        Assert.NotEmpty(await _s3.OpenUploadsAsync("cancel/"));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload.Completion);
        await drain;
        Assert.Empty(await _s3.OpenUploadsAsync("cancel/"));
        for (int i = 0; i < 3; i++) Assert.False(await _s3.ExistsAsync($"cancel/big{i}.bin"));
    }

    [Fact]
    public async Task A_file_changed_during_upload_is_reported_and_not_stored()
    {
        using var dir = new TempDir();
        var path = dir.Write("moving.bin", TempDir.Random(12 * 1024 * 1024, 20));
        var item = UploadItem.ForFile(new FileInfo(path), "changed/moving.bin");
        File.AppendAllText(path, "more"); // changed after it was picked up, before it was read
        var (summary, results) = await RunAsync(_s3.S3, new UploadOptions { BucketName = _s3.Bucket, Mode = TransferMode.Overwrite, MultipartThreshold = 5 << 20, PartSize = 5 << 20 }, new[] { item });
        var result = Assert.Single(results);
        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Equal(ErrorIds.SourceChanged, result.Error!.ErrorId);
        Assert.Equal(1, summary.ItemsFailed);
        Assert.False(await _s3.ExistsAsync("changed/moving.bin"));
        Assert.Empty(await _s3.OpenUploadsAsync("changed/"));
    }

    [Fact]
    public async Task Unreadable_and_missing_sources_are_failures_and_the_rest_goes_on()
    {
        using var dir = new TempDir();
        dir.Write("ok.txt", "ok"u8.ToArray());
        var items = Tree(dir, "mixed").Append(UploadItem.ForFailure("/nope", new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound, "missing", "/nope")));
        var (summary, results) = await RunAsync(_s3.S3, new UploadOptions { BucketName = _s3.Bucket }, items);
        Assert.Equal(1, summary.ItemsTransferred);
        Assert.Equal(1, summary.ItemsFailed);
        Assert.Equal(ErrorIds.PathNotFound, results.Single(r => r.Status == UploadStatus.Failed).Error!.ErrorId);
    }

    [Fact]
    public async Task Wrong_credentials_stop_the_run_with_one_InvalidCredentials_error()
    {
        using var client = S3ClientFactory.Create(TestS3.Options(secret: "wrong-secret"));
        using var upload = DirectoryUpload.Start(client, new UploadOptions { BucketName = _s3.Bucket }, default);
        var ex = await Assert.ThrowsAsync<S3TurboException>(() => upload.PrepareAsync(default));
        Assert.Equal(ErrorIds.InvalidCredentials, ex.ErrorId);
        Assert.DoesNotContain("wrong-secret", ex.ToString());
    }

    [Fact]
    public async Task A_missing_bucket_is_BucketNotFound_before_any_upload()
    {
        using var upload = DirectoryUpload.Start(_s3.S3, new UploadOptions { BucketName = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] }, default);
        var ex = await Assert.ThrowsAsync<S3TurboException>(() => upload.PrepareAsync(default));
        Assert.Equal(ErrorIds.BucketNotFound, ex.ErrorId);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_fast()
    {
        using var client = S3ClientFactory.Create(TestS3.Options(endpoint: "http://127.0.0.1:9"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<S3TurboException>(() => Preflight.CheckBucketAsync(new RequestBudget(client, 2), "any-bucket", default));
        Assert.Equal(ErrorIds.EndpointUnreachable, ex.ErrorId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("Bad_Bucket")]
    [InlineData("ab")]
    [InlineData("-leading")]
    public void Invalid_bucket_names_are_rejected_before_any_request(string bucket)
    {
        var ex = Assert.Throws<S3TurboException>(() => DirectoryUpload.Start(_s3.S3, new UploadOptions { BucketName = bucket }, default));
        Assert.Equal(ErrorIds.InvalidBucketName, ex.ErrorId);
        Assert.Contains(bucket, ex.Message);
    }

    [Fact]
    public void MaxConcurrency_zero_is_rejected()
    {
        var ex = Assert.Throws<S3TurboException>(() => DirectoryUpload.Start(_s3.S3, new UploadOptions { BucketName = _s3.Bucket, MaxConcurrency = 0 }, default));
        Assert.Equal(ErrorIds.InvalidConcurrency, ex.ErrorId);
    }
}
