using System.Diagnostics;
using Amazon.S3.Model;
using S3Turbo.Engine.Copy;

namespace S3Turbo.Engine.Tests;

/// <summary>Listing helpers and key order, without a server.</summary>
public class ListingLogicTests
{
    [Theory]
    [InlineData("a", "b")]
    [InlineData("a", "ab")]
    [InlineData("Z", "a")]
    [InlineData("\uFFFD", "\U0001F600")] // UTF-16 order would put the emoji's surrogates (0xD83D) first
    [InlineData("é", "\uE000")]
    public void Utf8_order_is_the_order_of_the_encoded_bytes(string lower, string higher)
    {
        Assert.True(Utf8KeyComparer.Instance.Compare(lower, higher) < 0);
        Assert.True(Utf8KeyComparer.Instance.Compare(higher, lower) > 0);
        var a = System.Text.Encoding.UTF8.GetBytes(lower);
        var b = System.Text.Encoding.UTF8.GetBytes(higher);
        Assert.True(((ReadOnlySpan<byte>)a).SequenceCompareTo(b) < 0);
        Assert.Equal(0, Utf8KeyComparer.Instance.Compare(lower, new string(lower.ToCharArray())));
    }

    static async IAsyncEnumerable<ListedObject> Listing(params string[] keys)
    {
        foreach (var key in keys) { await Task.Yield(); yield return new ListedObject("b", key, key.Length, "\"" + key + "\"", null, null); }
    }

    [Fact]
    public async Task The_cursor_finds_keys_asked_in_order_and_reports_the_missing_ones()
    {
        await using var cursor = new SortedListingCursor(Listing("p/a", "p/c", "p/d", "p/\U0001F600", "p/z"), default);
        Assert.Null(await cursor.FindAsync("p/0"));
        Assert.Equal("p/a", (await cursor.FindAsync("p/a"))?.Key);
        Assert.Null(await cursor.FindAsync("p/b"));
        Assert.Equal("p/d", (await cursor.FindAsync("p/d"))?.Key);
        Assert.Null(await cursor.FindAsync("p/\uFFFD"));
        Assert.Equal("p/\U0001F600", (await cursor.FindAsync("p/\U0001F600"))?.Key);
        Assert.Null(await cursor.FindAsync("p/zz"));
        Assert.Null(await cursor.FindAsync("q"));
    }

    [Theory]
    [InlineData("s3://bucket/a/b/", "bucket", "a/b/")]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("S3://bucket/key with space", "bucket", "key with space")]
    public void S3_uris_parse(string text, string bucket, string key)
    {
        var location = S3Path.Parse(text, "Source");
        Assert.Equal(bucket, location.BucketName);
        Assert.Equal(key, location.Key);
    }

    [Theory]
    [InlineData("bucket/key", "InvalidS3Uri")]
    [InlineData("s3:///key", "InvalidS3Uri")]
    [InlineData("s3://Bad_Bucket/key", "InvalidBucketName")]
    public void Bad_s3_uris_name_the_problem(string text, string errorId)
    {
        var ex = Assert.Throws<S3TurboException>(() => S3Path.Parse(text, "Source"));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains(text.Contains('_') ? "Bad_Bucket" : text, ex.Message);
    }
}

/// <summary>PrefixCopy against the real S3 server.</summary>
public class PrefixCopyTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public PrefixCopyTests(BucketFixture s3) => _s3 = s3;

    async Task PutAsync(string key, string body) =>
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, ContentBody = body });

    async Task<(TransferSummary Summary, List<CopyResult> Results)> CopyAsync(CopyOptions options, string sourcePrefix, CancellationToken cancellationToken = default)
    {
        var (copy, plan) = PrefixCopy.Start(_s3.S3, options, cancellationToken);
        var results = new List<CopyResult>();
        var reader = Task.Run(async () => { await foreach (var r in copy.Results.Outcomes()) results.Add(r); });
        await copy.PrepareAsync(cancellationToken);
        await copy.AddAllAsync(plan.PlanPrefixAsync(_s3.Bucket, sourcePrefix, cancellationToken), cancellationToken);
        copy.CompleteAdding();
        var summary = await copy.Completion;
        await reader;
        return (summary, results);
    }

    [Fact]
    public async Task Update_walks_the_destination_listing_beside_the_source_and_copies_only_what_differs()
    {
        for (int i = 0; i < 35; i++) await PutAsync($"upd-src/k{i:D2}", $"value {i}");
        await PutAsync("upd-dst/k03", "value 3");       // same content: skipped
        await PutAsync("upd-dst/k10", "value 10!");     // different size: copied
        await PutAsync("upd-dst/k20", "value 2X");      // same size, other content: copied
        await PutAsync("upd-dst/zz-only-here", "x");    // not in the source: untouched
        var (summary, results) = await CopyAsync(new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "upd-dst", PageSize = 4 }, "upd-src");
        Assert.Equal(35, results.Count);
        Assert.Equal(1, summary.ItemsSkipped);
        Assert.Equal(34, summary.ItemsTransferred);
        Assert.Equal(CopyStatus.Skipped, results.Single(r => r.SourceKey == "upd-src/k03").Status);
        Assert.Equal("value 20", System.Text.Encoding.UTF8.GetString(await _s3.GetBytesAsync("upd-dst/k20")));
        Assert.True(await _s3.ExistsAsync("upd-dst/zz-only-here"));

        var (again, _) = await CopyAsync(new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "upd-dst", PageSize = 4 }, "upd-src");
        Assert.Equal(35, again.ItemsSkipped);
        Assert.Equal(0, again.ItemsTransferred);
    }

    [Theory]
    [InlineData("same/", "same", "CopyOntoItself")]
    [InlineData("outer/", "outer/inner/", "DestinationInsideSource")]
    [InlineData("outer/inner/", "outer", "DestinationInsideSource")]
    public async Task Overlapping_prefixes_in_one_bucket_are_refused_before_any_request(string source, string destination, string errorId)
    {
        var (copy, plan) = PrefixCopy.Start(_s3.S3, new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = destination }, default);
        var ex = await Assert.ThrowsAsync<S3TurboException>(() => copy.AddAllAsync(plan.PlanPrefixAsync(_s3.Bucket, source, default), default));
        Assert.Equal(errorId, ex.ErrorId);
        copy.CompleteAdding();
        Assert.Equal(0, (await copy.Completion).ItemsTransferred);
    }

    /// <summary>A manifest names objects; it lists nothing, so copying its keys into the same bucket, beside or above
    /// them, is an ordinary copy: exactly the manifest's keys arrive, and only a key mapped onto itself is refused.</summary>
    [Fact]
    public async Task A_manifest_copy_into_the_same_bucket_copies_exactly_its_keys()
    {
        foreach (var key in new[] { "man/a.txt", "man/sub/b.txt", "man/not-listed.txt" }) await PutAsync(key, key);
        using var dir = new TempDir();
        var csv = dir.Write("batch.csv", System.Text.Encoding.UTF8.GetBytes($"{_s3.Bucket},man/a.txt\n{_s3.Bucket},man/sub/b.txt\n"));
        var (copy, plan) = PrefixCopy.Start(_s3.S3, new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "man/copies" }, default);
        var results = new List<CopyResult>();
        var reader = Task.Run(async () => { await foreach (var r in copy.Results.Outcomes()) results.Add(r); });
        await foreach (var entry in Manifest.ObjectManifest.ReadAsync(copy.Budget, csv, false, new Manifest.ManifestCounts(), default))
            await copy.AddAllAsync(plan.PlanObjectAsync(entry.BucketName, entry.Key, "man/", entry.Size, entry.ETag, default), default);
        // A row whose key maps onto itself (no prefix to strip, an empty destination prefix) fails on its own.
        var (onto, ontoPlan) = PrefixCopy.Start(_s3.S3, new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "" }, default);
        await onto.AddAllAsync(ontoPlan.PlanObjectAsync(_s3.Bucket, "man/a.txt", null, null, null, default), default);
        onto.CompleteAdding();
        var refused = (await onto.Results.ReadAsync()).Outcome!;
        await onto.Completion;
        copy.CompleteAdding();
        var summary = await copy.Completion;
        await reader;
        Assert.Equal(2, summary.ItemsTransferred);
        Assert.Equal(new[] { "man/copies/a.txt", "man/copies/sub/b.txt" }, results.Select(r => r.DestinationKey).OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal("man/sub/b.txt", System.Text.Encoding.UTF8.GetString(await _s3.GetBytesAsync("man/copies/sub/b.txt")));
        Assert.False(await _s3.ExistsAsync("man/copies/not-listed.txt"));
        Assert.Equal(ErrorIds.CopyOntoItself, refused.Error?.ErrorId);
    }

    [Fact]
    public async Task An_object_changed_after_listing_is_SourceChanged_and_not_copied()
    {
        await PutAsync("chg-src/a", "first");
        var (copy, plan) = PrefixCopy.Start(_s3.S3, new CopyOptions { DestinationBucket = _s3.Bucket, DestinationPrefix = "chg-dst", Mode = TransferMode.Overwrite }, default);
        var listed = await _s3.S3.GetObjectMetadataAsync(_s3.Bucket, "chg-src/a");
        await PutAsync("chg-src/a", "second version");
        await copy.AddAllAsync(plan.PlanObjectAsync(_s3.Bucket, "chg-src/a", "chg-src", listed.ContentLength, listed.ETag, default), default);
        copy.CompleteAdding();
        var result = (await copy.Results.ReadAsync()).Outcome!;
        await copy.Completion;
        Assert.Equal(CopyStatus.Failed, result.Status);
        Assert.Equal(ErrorIds.SourceChanged, result.Error!.ErrorId);
        Assert.False(await _s3.ExistsAsync("chg-dst/a"));
    }
}
