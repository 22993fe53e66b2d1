using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Copy;
using S3Turbo.Engine.Download;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>How runs prove content against the real server: every object written carries its whole checksum;
/// downloads are verified by the strongest proof the store offers; Update decides by proof, never by a guess, also
/// where ETags are no MD5s (the fault proxy replaces them, as SSE-KMS and directory buckets do) and where the store
/// keeps no checksums (the proxy strips them, as Ceph 18 does).</summary>
public class RunProofTests : IClassFixture<BucketFixture>, IDisposable
{
    const int MiB = 1024 * 1024;
    readonly BucketFixture _s3;
    readonly TempDir _dir = new();

    public RunProofTests(BucketFixture s3) => _s3 = s3;
    public void Dispose() => _dir.Dispose();

    UploadOptions Upload(string prefix, TransferMode mode = TransferMode.Update) =>
        new() { BucketName = _s3.Bucket, KeyPrefix = prefix, Mode = mode, MultipartThreshold = 5 * MiB, PartSize = 5 * MiB };

    /// <summary>A tree of small files (one PUT each, one above the 256 KiB buffered size), an empty file and a
    /// multipart file, written under <paramref name="name"/>.</summary>
    Dictionary<string, byte[]> WriteTree(string name)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["a.txt"] = "alpha"u8.ToArray(),
            ["b.txt"] = "bravo"u8.ToArray(),
            ["sub/c.bin"] = TempDir.Random(300_000, 3),
            ["sub/empty"] = Array.Empty<byte>(),
            ["big.bin"] = TempDir.Random(11 * MiB + 5, 4),
        };
        foreach (var (relative, bytes) in files) _dir.Write(Path.Combine(name, relative), bytes);
        return files;
    }

    string Local(string name) => Path.Combine(_dir.Path, name);

    /// <summary>A multipart object as a current SDK's streaming uploader makes one: parts of uneven sizes (the sizes
    /// the issue found: 6 MiB + 17 bytes, 8,000,000 bytes, 5 MiB + 1 byte, the rest), each with its CRC64NVME, and the
    /// FULL_OBJECT checksum on completion; or, withChecksum false, as an older tool: no checksums at all.</summary>
    async Task<byte[]> PutUnevenAsync(string key, bool withChecksum)
    {
        var data = TempDir.Random(27_000_000, 27);
        long[] sizes = { 6 * MiB + 17, 8_000_000, 5 * MiB + 1, 0 };
        sizes[3] = data.Length - sizes.Take(3).Sum();
        var proof = new UploadProof(_s3.S3, withChecksum ? ChecksumAlgorithm.CRC64NVME : ChecksumAlgorithm.None);
        var initiate = new InitiateMultipartUploadRequest { BucketName = _s3.Bucket, Key = key };
        proof.Initiate(initiate);
        var uploadId = (await _s3.S3.InitiateMultipartUploadAsync(initiate)).UploadId;
        var parts = new List<PartETag>();
        var sent = new List<SentBody>();
        long offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            var request = new UploadPartRequest
            {
                BucketName = _s3.Bucket, Key = key, UploadId = uploadId, PartNumber = i + 1,
                InputStream = new MemoryStream(data, (int)offset, (int)sizes[i]),
            };
            var body = proof.Prepare(request, request.InputStream);
            sent.Add(body);
            parts.Add(UploadProof.PartOf(i + 1, await _s3.S3.UploadPartAsync(request), body));
            offset += sizes[i];
        }
        var complete = new CompleteMultipartUploadRequest { BucketName = _s3.Bucket, Key = key, UploadId = uploadId, PartETags = parts };
        proof.Complete(complete, sent);
        await _s3.S3.CompleteMultipartUploadAsync(complete);
        return data;
    }

    static void AssertNoFailures<T>(TransferSummary summary, IEnumerable<T> results) where T : ITransferOutcome =>
        Assert.True(summary.ItemsFailed == 0, string.Join("; ", results.Where(r => r.Error is not null).Select(r => r.Subject.Key + ": " + r.Error!.Message)));

    [Fact]
    public async Task Every_object_a_run_writes_or_copies_carries_the_checksum_of_its_whole_content()
    {
        var files = WriteTree("written");
        // Moto keeps single PUTs' checksums but none for multipart uploads: each object is held to what its store keeps.
        bool keeps = await _s3.StoreKeepsChecksumsAsync(), keepsMultipart = await _s3.StoreKeepsMultipartChecksumsAsync();
        var (summary, results) = await Runs.UploadAsync(_s3.S3, Upload("written"), Runs.Tree(Local("written"), "written"));
        AssertNoFailures(summary, results);
        Assert.Equal(files.Count, summary.ItemsTransferred);
        foreach (var (relative, bytes) in files)
        {
            var key = "written/" + relative.Replace('\\', '/');
            var expected = RunningChecksum.Of(ChecksumAlgorithm.CRC64NVME, bytes);
            var written = results.Single(r => r.Key == key);
            Assert.Equal("CRC64NVME:" + expected, written.Checksum);
            var stored = await _s3.StoredChecksumAsync(key);
            if (written.Parts > 1 ? keepsMultipart : keeps) Assert.Equal(new StoredChecksum(ChecksumAlgorithm.CRC64NVME, expected, false, 0), stored);
            else Assert.Null(stored);
        }

        // Copies keep the source's checksum, whether copied whole (CopyObject) or in parts (UploadPartCopy). Parts
        // follow the source's when they are uniform, so the copy has its source's ETag; the uneven object's cannot,
        // and the checksums of both prove its copy.
        var uneven = await PutUnevenAsync("written/uneven.bin", withChecksum: true);
        files["uneven.bin"] = uneven;
        var copyOptions = new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "copied", MultipartCopyThreshold = 5 * MiB, PartSize = 5 * MiB };
        var (copied, copies) = await Runs.CopyAsync(_s3.S3, copyOptions, _s3.Bucket, "written/");
        AssertNoFailures(copied, copies);
        Assert.Equal(files.Count, copied.ItemsTransferred);
        Assert.Equal(3, copies.Single(c => c.DestinationKey == "copied/big.bin").Parts);
        foreach (var (relative, bytes) in files)
        {
            var key = "copied/" + relative.Replace('\\', '/');
            var stored = await _s3.StoredChecksumAsync(key);
            var copy = copies.Single(c => c.DestinationKey == key);
            if (!keeps || !keepsMultipart)
            {
                // A store that keeps checksums only in part (moto: single PUTs, not copies or multipart uploads):
                // the copy is held to its bytes instead; a store that keeps none at all shows none.
                if (!keeps) Assert.Null(stored);
                Assert.Equal(bytes, await _s3.GetBytesAsync(key));
                continue;
            }
            Assert.Equal(new StoredChecksum(ChecksumAlgorithm.CRC64NVME, RunningChecksum.Of(ChecksumAlgorithm.CRC64NVME, bytes), false, 0), stored);
            Assert.Equal(relative == "uneven.bin" ? "CRC64NVME" : "ETag", copy.Verification);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_object_of_uneven_parts_is_proven_and_neither_fetched_nor_sent_again_when_unchanged(bool withChecksum)
    {
        var prefix = $"uneven-{withChecksum}";
        var data = await PutUnevenAsync(prefix + "/stream.bin", withChecksum);
        bool keeps = await _s3.StoreKeepsChecksumsAsync();
        var into = Local(prefix + "-down");
        var download = new DownloadOptions { Destination = into };
        var (summary, results) = await Runs.DownloadAsync(_s3.S3, download, _s3.Bucket, prefix + "/");
        AssertNoFailures(summary, results);
        var proof = Assert.Single(results).Verification;
        // The whole object's CRC64NVME where it has one; else its ETag, the MD5 of parts whose sizes GetObjectAttributes tells.
        Assert.Equal(withChecksum && keeps ? "CRC64NVME" : keeps ? "MD5 of parts" : proof, proof);
        Assert.DoesNotContain("size only", proof);
        var file = Path.Combine(into, "stream.bin");
        Assert.Equal(data, await File.ReadAllBytesAsync(file));

        var (again, skipped) = await Runs.DownloadAsync(_s3.S3, download, _s3.Bucket, prefix + "/");
        Assert.Equal(DownloadStatus.Skipped, Assert.Single(skipped).Status);
        Assert.False(again.RequestsByOperation.ContainsKey("GetObject"), "an unchanged object is not fetched again");

        // Send-S3Directory's Update over the same file: nothing sent.
        var (sent, uploads) = await Runs.UploadAsync(_s3.S3, Upload(prefix), new[] { UploadItem.ForFile(new FileInfo(file), prefix + "/stream.bin") });
        Assert.Equal(UploadStatus.Skipped, Assert.Single(uploads).Status);
        Assert.Equal(0, sent.BytesTransferred);

        // A byte changed in place (same size) is sent, never taken for unchanged.
        using (var stream = new FileStream(file, FileMode.Open)) { stream.Position = 20_000_000; stream.WriteByte((byte)(data[20_000_000] ^ 1)); }
        var (changed, changedResults) = await Runs.UploadAsync(_s3.S3, Upload(prefix), new[] { UploadItem.ForFile(new FileInfo(file), prefix + "/stream.bin") });
        AssertNoFailures(changed, changedResults);
        Assert.Equal(UploadStatus.Uploaded, Assert.Single(changedResults).Status);
    }

    /// <summary>ETags that are no MD5s (the proxy shows stable stand-ins): Update proves unchanged content by the
    /// stored checksum (one HEAD for each object whose ETag does not prove it), sends nothing for an unchanged tree and
    /// exactly the changed files otherwise, same-size changes included; downloads and copies alike.</summary>
    [Fact]
    public async Task With_ETags_that_are_not_MD5s_Update_sends_nothing_unchanged_and_exactly_what_changed()
    {
        var files = WriteTree("opaque");
        for (int i = 0; i < 8; i++) _dir.Write($"opaque/many/f{i}.txt", TempDir.Random(1000 + i, 100 + i));
        var (first, _) = await Runs.UploadAsync(_s3.S3, Upload("opaque"), Runs.Tree(Local("opaque"), "opaque"));
        Assert.Equal(files.Count + 8, first.ItemsTransferred);
        bool keeps = await _s3.StoreKeepsChecksumsAsync();

        await using var proxy = new FaultProxy(TestS3.Endpoint) { OpaqueETags = true };
        var client = TestS3.ClientThrough(proxy);
        var (rerun, rerunResults) = await Runs.UploadAsync(client, Upload("opaque"), Runs.Tree(Local("opaque"), "opaque"));
        AssertNoFailures(rerun, rerunResults);
        if (!keeps)
        {
            // No checksum and no MD5 to prove anything: everything is sent again, never skipped by a guess.
            Assert.Equal(files.Count + 8, rerun.ItemsTransferred);
            return;
        }
        Assert.True(rerun.ItemsTransferred == 0, "sent again: " + string.Join(", ", rerunResults.Where(r => r.Status == UploadStatus.Uploaded).Select(r => r.Key)));
        Assert.Equal(0, proxy.RequestsMatching("PUT", "/opaque/") - proxy.RequestsMatching("PUT", ".s3turbo-checksum-probe")); // the probe's part is refused

        // Two same-size changes (one in the multipart file), one of another size.
        File.WriteAllText(Local("opaque/a.txt"), "ALPHA");
        var big = files["big.bin"].ToArray();
        big[7 * MiB] ^= 0x40;
        File.WriteAllBytes(Local("opaque/big.bin"), big);
        File.WriteAllText(Local("opaque/many/f3.txt"), "shorter");
        var (changed, changedResults) = await Runs.UploadAsync(client, Upload("opaque"), Runs.Tree(Local("opaque"), "opaque"));
        AssertNoFailures(changed, changedResults);
        Assert.Equal(new[] { "opaque/a.txt", "opaque/big.bin", "opaque/many/f3.txt" },
            changedResults.Where(r => r.Status == UploadStatus.Uploaded).Select(r => r.Key).OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(big, await _s3.GetBytesAsync("opaque/big.bin"));

        // Downloads through the same proxy are proven by the checksum, and an Update re-run fetches nothing.
        var download = new DownloadOptions { Destination = Local("opaque-down") };
        var (down, downResults) = await Runs.DownloadAsync(client, download, _s3.Bucket, "opaque/");
        AssertNoFailures(down, downResults);
        Assert.All(downResults, r => Assert.Equal("CRC64NVME", r.Verification));
        var (downAgain, downAgainResults) = await Runs.DownloadAsync(client, download, _s3.Bucket, "opaque/");
        Assert.All(downAgainResults, r => Assert.Equal(DownloadStatus.Skipped, r.Status));
        Assert.False(downAgain.RequestsByOperation.ContainsKey("GetObject"));

        // Copies: an Update re-run copies nothing (the checksums of source and copy agree).
        var copy = new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "opaque-copy", MultipartCopyThreshold = 5 * MiB, PartSize = 5 * MiB };
        var (copied, copies) = await Runs.CopyAsync(client, copy, _s3.Bucket, "opaque/");
        AssertNoFailures(copied, copies);
        var (copiedAgain, copiesAgain) = await Runs.CopyAsync(client, copy, _s3.Bucket, "opaque/");
        Assert.Equal(0, copiedAgain.ItemsTransferred);
        Assert.All(copiesAgain, c => Assert.Equal(CopyStatus.Skipped, c.Status));
    }

    /// <summary>A byte flipped on its way to the client is caught, for one GET and for ranged GETs, whether the
    /// object's proof is its checksum or (checksums stripped by the proxy) its ETag; nothing is written.</summary>
    [Theory]
    [InlineData(300_000, false)]
    [InlineData(20 * MiB, false)]
    [InlineData(300_000, true)]
    [InlineData(20 * MiB, true)]
    public async Task A_byte_changed_on_the_way_down_is_caught_and_nothing_is_written(int size, bool stripChecksums)
    {
        var prefix = $"flip-{size}-{stripChecksums}";
        _dir.Write($"{prefix}/x.bin", TempDir.Random(size, 9));
        var (up, _) = await Runs.UploadAsync(_s3.S3, Upload(prefix), Runs.Tree(Local(prefix), prefix));
        Assert.Equal(1, up.ItemsTransferred);
        await using var proxy = new FaultProxy(TestS3.Endpoint) { StripChecksums = stripChecksums };
        proxy.Rules = new[] { new FaultRule(FaultKind.CorruptResponseBody, 1.0, "GET", "x.bin") { AfterBytes = 100_000 } };
        var into = Local(prefix + "-down");
        var (summary, results) = await Runs.DownloadAsync(TestS3.ClientThrough(proxy), new DownloadOptions { Destination = into }, _s3.Bucket, prefix + "/");
        Assert.True(proxy.Injected(FaultKind.CorruptResponseBody) > 0);
        var result = Assert.Single(results);
        Assert.Equal(DownloadStatus.Failed, result.Status);
        Assert.Equal(1, summary.ItemsFailed);
        Assert.Equal(ErrorIds.ChecksumMismatch, result.Error!.ErrorId);
        Assert.Empty(Directory.GetFiles(into, "*", SearchOption.AllDirectories));
    }

    /// <summary>A store that keeps no checksums (the proxy strips them from every answer): objects are proven by
    /// their ETags, single-part by the MD5, multipart by the MD5 of parts (the part size S3Turbo recorded, or the
    /// part sizes GetObjectAttributes tells); where neither is known, the result says "size only" and why, and Update
    /// fetches the object again rather than guess.</summary>
    [Fact]
    public async Task Without_checksums_objects_are_proven_by_their_ETags_where_the_ETag_allows()
    {
        WriteTree("plain");
        var (up, _) = await Runs.UploadAsync(_s3.S3, Upload("plain"), Runs.Tree(Local("plain"), "plain"));
        Assert.Equal(5, up.ItemsTransferred);
        var uneven = await PutUnevenAsync("plain/uneven.bin", withChecksum: true);

        await using var proxy = new FaultProxy(TestS3.Endpoint) { StripChecksums = true };
        var client = TestS3.ClientThrough(proxy);
        var download = new DownloadOptions { Destination = Local("plain-down") };
        var (down, results) = await Runs.DownloadAsync(client, download, _s3.Bucket, "plain/");
        AssertNoFailures(down, results);
        Assert.Equal("MD5", results.Single(r => r.Key == "plain/a.txt").Verification);
        Assert.Equal("MD5 of parts", results.Single(r => r.Key == "plain/big.bin").Verification);
        Assert.Equal("MD5 of parts", results.Single(r => r.Key == "plain/uneven.bin").Verification);
        Assert.Equal(uneven, await File.ReadAllBytesAsync(Path.Combine(download.Destination, "uneven.bin")));
        var (again, againResults) = await Runs.DownloadAsync(client, download, _s3.Bucket, "plain/");
        Assert.All(againResults, r => Assert.Equal(DownloadStatus.Skipped, r.Status));

        // Send-S3Directory's Update through the same proxy: proven by MD5 and MD5 of parts, nothing sent.
        var (rerun, rerunResults) = await Runs.UploadAsync(client, Upload("plain"), Runs.Tree(Local("plain"), "plain"));
        AssertNoFailures(rerun, rerunResults);
        Assert.Equal(0, rerun.ItemsTransferred);

        // Nor the part sizes (GetObjectAttributes refused, as Ceph 18 does): the uneven object is size-only, and
        // fetched again by Update since nothing proves the file is its content.
        proxy.RefuseObjectAttributes = true;
        var blind = new DownloadOptions { Destination = Local("plain-blind") };
        var (_, blindResults) = await Runs.DownloadAsync(client, blind, _s3.Bucket, "plain/");
        Assert.StartsWith("size only: the object's part sizes are unknown", blindResults.Single(r => r.Key == "plain/uneven.bin").Verification);
        Assert.Equal("MD5 of parts", blindResults.Single(r => r.Key == "plain/big.bin").Verification); // its recorded part size
        var (_, blindAgain) = await Runs.DownloadAsync(client, blind, _s3.Bucket, "plain/");
        Assert.Equal(DownloadStatus.Downloaded, blindAgain.Single(r => r.Key == "plain/uneven.bin").Status);
        Assert.Equal(DownloadStatus.Skipped, blindAgain.Single(r => r.Key == "plain/big.bin").Status);
    }

    /// <summary>The local reference server (Ceph 20.2) keeps and verifies checksums: the suite's proofs by checksum
    /// are exercised, not skipped. Against another store (S3TURBO_TEST_ENDPOINT) this does not run.</summary>
    [Fact]
    [Trait("Category", "LocalGateway")]
    public async Task The_reference_server_keeps_and_verifies_checksums()
    {
        Assert.True(await _s3.StoreKeepsChecksumsAsync(), "the test gateway keeps no checksums: is it Ceph 18? tools/s3-server-start.sh builds Ceph 20.2");
        Assert.True(await _s3.StoreVerifiesChecksumsAsync(), "the test gateway does not refuse a wrong checksum");
    }
}

/// <summary>moto, an S3 that keeps the checksums it is sent without verifying them and reports a 4-byte "CRC64NVME"
/// for multipart objects: uploads to it are proven by MD5 (the probe finds it does not verify), a body corrupted on the
/// way is caught by that MD5, and downloads ignore its malformed checksums.</summary>
public class MotoProofTests : IClassFixture<MotoBucketFixture>, IDisposable
{
    const int MiB = 1024 * 1024;
    readonly MotoBucketFixture _moto;
    readonly TempDir _dir = new();

    public MotoProofTests(MotoBucketFixture moto) => _moto = moto;
    public void Dispose() => _dir.Dispose();

    UploadOptions Upload(string prefix) => new() { BucketName = _moto.Bucket, KeyPrefix = prefix, MultipartThreshold = 5 * MiB, PartSize = 5 * MiB };

    [Fact]
    public async Task Uploads_are_proven_by_MD5_and_downloads_by_what_the_store_can_prove()
    {
        Assert.False(await _moto.StoreVerifiesChecksumsAsync());
        var small = _dir.Write("m/small.bin", TempDir.Random(100_000, 1));
        var big = _dir.Write("m/big.bin", TempDir.Random(12 * MiB, 2));
        var (up, ups) = await Runs.UploadAsync(_moto.S3, Upload("m"), Runs.Tree(Path.Combine(_dir.Path, "m"), "m"));
        Assert.True(up.ItemsFailed == 0, string.Join("; ", ups.Select(u => u.Reason)));
        Assert.Equal(2, up.ItemsTransferred);

        var download = new DownloadOptions { Destination = Path.Combine(_dir.Path, "down") };
        var (down, results) = await Runs.DownloadAsync(_moto.S3, download, _moto.Bucket, "m/");
        Assert.True(down.ItemsFailed == 0, string.Join("; ", results.Select(r => r.Reason)));
        // moto keeps the single part's CRC64NVME as sent; its multipart "CRC64NVME" is 4 bytes, no proof: the ETag is.
        Assert.Equal("CRC64NVME", results.Single(r => r.Key == "m/small.bin").Verification);
        Assert.Equal("MD5 of parts", results.Single(r => r.Key == "m/big.bin").Verification);
        Assert.Equal(await File.ReadAllBytesAsync(big), await File.ReadAllBytesAsync(Path.Combine(download.Destination, "big.bin")));
        Assert.Equal(await File.ReadAllBytesAsync(small), await File.ReadAllBytesAsync(Path.Combine(download.Destination, "small.bin")));

        var (again, _) = await Runs.UploadAsync(_moto.S3, Upload("m"), Runs.Tree(Path.Combine(_dir.Path, "m"), "m"));
        Assert.Equal(0, again.ItemsTransferred);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(12 * MiB)]
    public async Task A_body_corrupted_on_the_way_is_caught_by_its_MD5_and_leaves_no_object(int size)
    {
        var prefix = $"corrupt-{size}";
        _dir.Write($"{prefix}/x.bin", TempDir.Random(size, 5));
        await using var proxy = new FaultProxy(TestS3.MotoEndpoint)
        {
            Rules = new[] { new FaultRule(FaultKind.CorruptRequestBody, 1.0, "PUT", "x.bin") { AfterBytes = 50_000 } },
        };
        var client = TestS3.MotoClient(proxy.Endpoint);
        var (summary, results) = await Runs.UploadAsync(client, Upload(prefix), Runs.Tree(Path.Combine(_dir.Path, prefix), prefix));
        Assert.True(proxy.Injected(FaultKind.CorruptRequestBody) > 0);
        var result = Assert.Single(results);
        Assert.Equal(UploadStatus.Failed, result.Status);
        Assert.Equal(1, summary.ItemsFailed);
        Assert.Contains("MD5", result.Error!.Message);
        Assert.False(await _moto.ExistsAsync($"{prefix}/x.bin"));
        Assert.Empty(await _moto.OpenUploadsAsync(prefix));
    }
}
