using System.Formats.Tar;
using System.IO.Compression;
using Amazon.S3;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>Send-S3Directory -Tar's engine side (TarArchiveMembers feeding DirectoryUpload) against the real S3 server.</summary>
public class TarMemberUploadTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public TarMemberUploadTests(BucketFixture s3) => _s3 = s3;

    static async Task<(TransferSummary Summary, List<UploadResult> Results)> UploadAsync(IAmazonS3 client, UploadOptions options, string archive, string prefix)
    {
        using var upload = DirectoryUpload.Start(client, options, default);
        var results = new List<UploadResult>();
        var reader = Task.Run(async () => { await foreach (var r in upload.Results.Outcomes()) results.Add(r); });
        await upload.AddAllAsync(new TarArchiveMembers(prefix, new WildcardFilter(null, null), options.MultipartThreshold).ReadAsync(archive, default), default);
        upload.CompleteAdding();
        var summary = await upload.Completion;
        await reader;
        return (summary, results);
    }

    /// <summary>A gzip-compressed tar of the given members, in order.</summary>
    static string WriteTarGz(TempDir dir, string name, params (string Name, byte[] Data)[] members)
    {
        var path = Path.Combine(dir.Path, name);
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            foreach (var (member, data) in members)
                tar.WriteEntry(new PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, member) { DataStream = new MemoryStream(data), ModificationTime = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero) });
        return path;
    }

    [Fact]
    public void Modification_times_round_trip_through_the_metadata_and_read_rclone_nanoseconds()
    {
        var time = new DateTime(2026, 12, 3, 14, 15, 16, DateTimeKind.Utc).AddTicks(1234567);
        Assert.Equal("1796307316.1234567", ModifiedTimeMetadata.Format(time));
        Assert.Equal(time, ModifiedTimeMetadata.Parse(ModifiedTimeMetadata.Format(time)));
        Assert.Equal("1796307316", ModifiedTimeMetadata.Format(new DateTime(2026, 12, 3, 14, 15, 16, DateTimeKind.Utc)));
        Assert.Equal(time, ModifiedTimeMetadata.Parse("1796307316.123456700")); // rclone's 9 decimals
        Assert.Null(ModifiedTimeMetadata.Parse("yesterday"));
        Assert.Null(ModifiedTimeMetadata.Parse("-5"));
    }

    [Fact]
    public async Task A_failing_large_member_of_a_compressed_archive_is_aborted_and_the_members_after_it_still_arrive()
    {
        using var dir = new TempDir();
        var big = TempDir.Random(7 * 1024 * 1024 + 3, 21);
        var archive = WriteTarGz(dir, "a.tar.gz", ("first.txt", "first"u8.ToArray()), ("big.bin", big), ("after/last.bin", TempDir.Random(300_000, 22)));
        await using var proxy = new FaultProxy(TestS3.Endpoint);
        proxy.Rules = new[] { new FaultRule(FaultKind.InternalError500, 1.0, "PUT", "big.bin") };
        var options = new UploadOptions { BucketName = _s3.Bucket, Mode = TransferMode.Overwrite, MultipartThreshold = 5 << 20, PartSize = 5 << 20 };
        var (summary, results) = await UploadAsync(TestS3.ClientThrough(proxy), options, archive, "fail/");

        Assert.True(proxy.Injected(FaultKind.InternalError500) > 0);
        Assert.Equal(UploadStatus.Failed, results.Single(r => r.Key == "fail/big.bin").Status);
        Assert.Equal(2, summary.ItemsTransferred);
        Assert.Equal("first"u8.ToArray(), await _s3.GetBytesAsync("fail/first.txt"));
        Assert.Equal(TempDir.Random(300_000, 22), await _s3.GetBytesAsync("fail/after/last.bin"));
        Assert.Empty(await _s3.OpenUploadsAsync("fail/"));
        Assert.False(await _s3.ExistsAsync("fail/big.bin"));
    }

    [Fact]
    public async Task Members_of_a_compressed_archive_round_trip_and_a_re_run_skips_the_held_ones_by_checksum()
    {
        using var dir = new TempDir();
        var members = new (string, byte[])[] { ("a/one.txt", "one"u8.ToArray()), ("a/empty", Array.Empty<byte>()), ("b/large.bin", TempDir.Random(6 * 1024 * 1024, 23)), ("c.bin", TempDir.Random(200_000, 24)) };
        var archive = WriteTarGz(dir, "b.tar.gz", members);
        var options = new UploadOptions { BucketName = _s3.Bucket, MultipartThreshold = 5 << 20, PartSize = 5 << 20 };
        var (first, _) = await UploadAsync(_s3.S3, options, archive, "rt/");
        Assert.Equal(4, first.ItemsTransferred);
        foreach (var (name, data) in members) Assert.Equal(data, await _s3.GetBytesAsync("rt/" + name));

        var (again, results) = await UploadAsync(_s3.S3, options, archive, "rt/");
        Assert.Equal(3, again.ItemsSkipped);
        Assert.Equal("rt/b/large.bin", Assert.Single(results, r => r.Status == UploadStatus.Uploaded).Key); // streamed: read once, not compared
    }
}
