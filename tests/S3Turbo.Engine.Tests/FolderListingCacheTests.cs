using Amazon.S3.Model;

namespace S3Turbo.Engine.Tests;

/// <summary>FolderListingCache against the real S3 server: folders listed ahead are used, not listed twice, and the
/// number listed ahead stays bounded, also when a listing made ahead is dropped unused.</summary>
public class FolderListingCacheTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public FolderListingCacheTests(BucketFixture s3) => _s3 = s3;

    static long Listings(RequestBudget budget) => budget.RequestCounts.TryGetValue("ListObjectsV2", out var n) ? n : 0;

    [Fact]
    public async Task Folders_listed_ahead_answer_their_keys_without_a_second_listing_and_at_most_MaxAhead_wait()
    {
        int folders = FolderListingCache.MaxAhead + 2;
        for (int i = 0; i < folders; i++)
            await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = $"ahead/f{i}/file", ContentBody = new string('x', i + 1) });
        using var budget = new RequestBudget(_s3.S3, 8);
        var cache = new FolderListingCache(budget, _s3.Bucket);

        for (int i = 0; i < folders; i++) cache.Prefetch($"ahead/f{i}/file", default);
        Assert.Equal(FolderListingCache.MaxAhead, cache.ListingsAhead);

        for (int i = 0; i < folders; i++)
        {
            var (known, listed) = await cache.FindAsync($"ahead/f{i}/file", default);
            Assert.True(known);
            Assert.Equal(i + 1, listed!.Size);
            var (knownMissing, missing) = await cache.FindAsync($"ahead/f{i}/other", default);
            Assert.True(knownMissing);
            Assert.Null(missing);
        }
        Assert.Equal(0, cache.ListingsAhead);
        Assert.Equal(folders, Listings(budget)); // one per folder: the finds used the listings made ahead
    }

    [Fact]
    public async Task A_listing_made_ahead_and_dropped_unused_frees_its_place()
    {
        using var budget = new RequestBudget(_s3.S3, 8);
        var cache = new FolderListingCache(budget, _s3.Bucket);
        for (int i = 0; i < FolderListingCache.MaxAhead; i++) cache.Prefetch($"dropped/a{i}/k", default);
        Assert.Equal(FolderListingCache.MaxAhead, cache.ListingsAhead);
        // Asking for MaxFolders other folders drops every listing made ahead.
        for (int i = 0; i < FolderListingCache.MaxFolders; i++) Assert.True((await cache.FindAsync($"dropped/b{i}/k", default)).Known);
        Assert.Equal(0, cache.ListingsAhead);
        for (int i = 0; i < FolderListingCache.MaxAhead; i++) cache.Prefetch($"dropped/c{i}/k", default);
        Assert.Equal(FolderListingCache.MaxAhead, cache.ListingsAhead);
        for (int i = 0; i < FolderListingCache.MaxAhead; i++) Assert.Equal((true, (ListedObject?)null), await cache.FindAsync($"dropped/c{i}/k", default));
        Assert.Equal(FolderListingCache.MaxAhead * 2 + FolderListingCache.MaxFolders, Listings(budget));
    }
}
