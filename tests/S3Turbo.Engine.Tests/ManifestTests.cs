using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Parquet.Serialization;
using S3Turbo.Engine.Manifest;

namespace S3Turbo.Engine.Tests;

/// <summary>Manifest input (S3 Inventory CSV/Parquet, Batch Operations CSV) and shards, against the real S3 server.</summary>
public class ManifestTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public ManifestTests(BucketFixture s3) => _s3 = s3;

    /// <summary>One row of a Parquet inventory, named as S3 names the columns.</summary>
    public sealed class InventoryRow
    {
#pragma warning disable IDE1006 // the column names of S3's Parquet inventory schema
        public string bucket { get; set; } = "";
        public string key { get; set; } = "";
        public long? size { get; set; }
        public DateTime? last_modified_date { get; set; }
        public string? e_tag { get; set; }
        public bool? is_latest { get; set; }
        public bool? is_delete_marker { get; set; }
#pragma warning restore IDE1006
    }

    async Task<List<ManifestEntry>> ReadAsync(string location, bool allowVersions = false, ManifestCounts? counts = null)
    {
        using var budget = new RequestBudget(_s3.S3, 8);
        var entries = new List<ManifestEntry>();
        await foreach (var e in ObjectManifest.ReadAsync(budget, location, allowVersions, counts ?? new ManifestCounts(), default)) entries.Add(e);
        return entries;
    }

    async Task<string> PutAsync(string key, byte[] body)
    {
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, InputStream = new MemoryStream(body) });
        return Convert.ToHexString(MD5.HashData(body)).ToLowerInvariant();
    }

    static byte[] Gzip(string text)
    {
        var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(Encoding.UTF8.GetBytes(text));
        return memory.ToArray();
    }

    string Manifest(string format, string schema, IEnumerable<(string Key, string Md5)> files) =>
        $$"""
        {"sourceBucket":"{{_s3.Bucket}}","destinationBucket":"arn:aws:s3:::{{_s3.Bucket}}","version":"2016-11-30","creationTimestamp":"1733200000000",
         "fileFormat":"{{format}}","fileSchema":"{{schema}}",
         "files":[{{string.Join(",", files.Select(f => $$"""{"key":"{{f.Key}}","size":1,"MD5checksum":"{{f.Md5}}"}"""))}}]}
        """;

    [Fact]
    public async Task A_parquet_inventory_of_two_files_gives_its_current_objects_and_counts_what_it_leaves_out()
    {
        var time = new DateTime(2026, 11, 30, 1, 2, 3, DateTimeKind.Utc);
        var first = new[]
        {
            new InventoryRow { bucket = "src-bucket", key = "a/one file.txt", size = 10, last_modified_date = time, e_tag = "e1", is_latest = true, is_delete_marker = false },
            new InventoryRow { bucket = "src-bucket", key = "a/old.txt", size = 5, last_modified_date = time, e_tag = "e0", is_latest = false, is_delete_marker = false },
        };
        var second = new[]
        {
            new InventoryRow { bucket = "src-bucket", key = "b/ünï.bin", size = 20, last_modified_date = time, e_tag = "e2", is_latest = true, is_delete_marker = false },
            new InventoryRow { bucket = "src-bucket", key = "b/gone", size = 0, last_modified_date = time, e_tag = null, is_latest = true, is_delete_marker = true },
        };
        var files = new List<(string, string)>();
        foreach (var (rows, i) in new[] { (first, 1), (second, 2) })
        {
            var stream = new MemoryStream();
            await ParquetSerializer.SerializeAsync(rows, stream);
            files.Add(($"inv/data/{i}.parquet", await PutAsync($"inv/data/{i}.parquet", stream.ToArray())));
        }
        await PutAsync("inv/pq/manifest.json", Encoding.UTF8.GetBytes(Manifest("Parquet", "message s3.inventory { required binary bucket (STRING); required binary key (STRING); }", files)));

        var counts = new ManifestCounts();
        var entries = await ReadAsync($"s3://{_s3.Bucket}/inv/pq/manifest.json", counts: counts);
        Assert.Equal(new[] { "a/one file.txt", "b/ünï.bin" }, entries.Select(e => e.Key));
        Assert.All(entries, e => Assert.Equal("src-bucket", e.BucketName));
        Assert.Equal(new long?[] { 10, 20 }, entries.Select(e => e.Size));
        Assert.Equal("e2", entries[1].ETag);
        Assert.Equal(time, entries[0].LastModified);
        Assert.Equal((1, 1), (counts.NoncurrentVersions, counts.DeleteMarkers));
    }

    [Fact]
    public async Task A_csv_inventory_data_file_whose_MD5_differs_is_refused_before_any_of_its_rows_is_used()
    {
        var good = Gzip("\"src-bucket\",\"x%2Fa+b.txt\",\"3\"\n");
        var bad = Gzip("\"src-bucket\",\"y.txt\",\"4\"\n");
        var goodMd5 = await PutAsync("csv/data/good.csv.gz", good);
        await PutAsync("csv/data/bad.csv.gz", bad);
        await PutAsync("csv/m1/manifest.json", Encoding.UTF8.GetBytes(Manifest("CSV", "Bucket, Key, Size", new[] { ("csv/data/good.csv.gz", goodMd5), ("csv/data/bad.csv.gz", new string('0', 32)) })));
        var seen = new List<ManifestEntry>();
        using var budget = new RequestBudget(_s3.S3, 8);
        var error = await Assert.ThrowsAsync<S3TurboException>(async () =>
        {
            await foreach (var e in ObjectManifest.ReadAsync(budget, $"s3://{_s3.Bucket}/csv/m1/manifest.json", false, new ManifestCounts(), default)) seen.Add(e);
        });
        Assert.Equal(ErrorIds.ManifestChecksumMismatch, error.ErrorId);
        Assert.Contains("csv/data/bad.csv.gz", error.Message);
        Assert.Equal("x/a b.txt", Assert.Single(seen).Key); // URL-decoded; nothing of the damaged file
    }

    [Fact]
    public async Task Bad_manifests_are_named_with_the_file_and_line_and_nothing_of_them_is_used()
    {
        var md5 = await PutAsync("csv/data/ok.csv.gz", Gzip("\"src-bucket\",\"k\"\n"));
        await PutAsync("csv/m2/manifest.json", Encoding.UTF8.GetBytes(Manifest("CSV", "Bucket, Key, Colour", new[] { ("csv/data/ok.csv.gz", md5) })));
        var unknown = await Assert.ThrowsAsync<S3TurboException>(() => ReadAsync($"s3://{_s3.Bucket}/csv/m2/manifest.json"));
        Assert.Equal(ErrorIds.InvalidManifest, unknown.ErrorId);
        Assert.Contains("Colour", unknown.Message);

        var path = Path.Combine(Path.GetTempPath(), $"batch-{Guid.NewGuid():N}.csv");
        try
        {
            await File.WriteAllTextAsync(path, "src-bucket,a.txt\nsrc-bucket,b%20c.txt,v123\nsrc-bucket\n");
            var seen = new List<ManifestEntry>();
            using var budget = new RequestBudget(_s3.S3, 8);
            var malformed = await Assert.ThrowsAsync<S3TurboException>(async () =>
            {
                await foreach (var e in ObjectManifest.ReadAsync(budget, path, true, new ManifestCounts(), default)) seen.Add(e);
            });
            Assert.Equal(ErrorIds.InvalidManifest, malformed.ErrorId);
            Assert.Contains("line 3", malformed.Message);
            Assert.Empty(seen); // the whole CSV is checked before its first row is used

            await File.WriteAllTextAsync(path, "src-bucket,a.txt\nsrc-bucket,b%20c.txt,v123\n");
            var entries = await ReadAsync(path, allowVersions: true);
            Assert.Equal(("b c.txt", "v123"), (entries[1].Key, entries[1].VersionId));
            var versioned = await Assert.ThrowsAsync<S3TurboException>(() => ReadAsync(path, allowVersions: false));
            Assert.Contains("line 2", versioned.Message);
        }
        finally { File.Delete(path); }

        var missing = await Assert.ThrowsAsync<S3TurboException>(() => ReadAsync($"s3://{_s3.Bucket}/csv/none/manifest.json"));
        Assert.Equal(ErrorIds.ManifestNotFound, missing.ErrorId);
    }

    [Fact]
    public void Four_shards_of_a_thousand_keys_are_disjoint_and_cover_them_all()
    {
        var keys = Enumerable.Range(0, 1000).Select(i => $"data/part-{i:D5}.bin").ToList();
        var shards = Enumerable.Range(0, 4).Select(i => Shard.Create(i, 4)!).ToList();
        var taken = shards.Select(s => keys.Where(s.Accepts).ToList()).ToList();
        Assert.Equal(1000, taken.Sum(t => t.Count));
        Assert.Equal(1000, taken.SelectMany(t => t).Distinct().Count());
        Assert.All(taken, t => Assert.InRange(t.Count, 200, 300)); // roughly even
        Assert.Null(Shard.Create(null, null));
        Assert.Equal(ErrorIds.InvalidShard, Assert.Throws<S3TurboException>(() => Shard.Create(4, 4)).ErrorId);
        Assert.Equal(ErrorIds.InvalidShard, Assert.Throws<S3TurboException>(() => Shard.Create(1, null)).ErrorId);
    }
}
