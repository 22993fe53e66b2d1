using Amazon.S3.Model;
using S3Turbo.Engine.Remove;

namespace S3Turbo.Engine.Tests;

/// <summary>What a mirror (-Delete) would remove: the recorded sources, and the extras found by listing the real
/// destination (the cmdlets' end-to-end runs are in tests/Pester/Mirror.Tests.ps1).</summary>
public class MirrorTests : IClassFixture<BucketFixture>
{
    readonly BucketFixture _s3;
    public MirrorTests(BucketFixture s3) => _s3 = s3;

    [Fact]
    public void Sources_cover_their_keys_and_the_subtrees_of_skipped_directories_only()
    {
        var sources = new MirrorSources();
        sources.AddKey("p/a.txt");
        sources.AddKey("p/sub/b.txt");
        sources.AddSubtree("p/linked/");
        Assert.Equal(3, sources.Count);
        Assert.True(sources.Covers("p/a.txt"));
        Assert.True(sources.Covers("p/sub/b.txt"));
        Assert.True(sources.Covers("p/linked/deep/c.txt"));
        Assert.False(sources.Covers("p/a.txt.bak"));
        Assert.False(sources.Covers("p/sub/"));
        Assert.False(sources.Covers("p/linkedX/c.txt"));
        Assert.False(sources.Covers("p/linked"), "the link's own name as an object is not under it");
        Assert.Throws<InvalidOperationException>(() => sources.AddKey("late"));
        Assert.Throws<ArgumentException>(() => new MirrorSources().AddSubtree("no-slash"));
    }

    async Task SeedAsync(params string[] keys)
    {
        foreach (var key in keys) await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, ContentBody = key });
    }

    async Task<List<string>> ExtrasAsync(S3MirrorTarget target, MirrorSources sources, int pageSize = 1000)
    {
        using var budget = new RequestBudget(_s3.S3, 4);
        var keys = new List<string>();
        await foreach (var extra in Mirror.ExtrasAsync(budget, target, sources, pageSize, default)) keys.Add(extra.Key);
        return keys;
    }

    [Fact]
    public async Task Extras_are_the_listed_objects_without_a_source_that_the_filter_accepts()
    {
        await SeedAsync("m1/keep.txt", "m1/extra.txt", "m1/extra.log", "m1/sub/extra.txt", "m1/sub/keep.txt", "m10/extra.txt");
        var sources = new MirrorSources();
        sources.AddKey("m1/keep.txt");
        sources.AddKey("m1/sub/keep.txt");

        var all = await ExtrasAsync(new S3MirrorTarget(_s3.Bucket, "m1", new WildcardFilter(null, null), null), sources, pageSize: 2);
        Assert.Equal(new[] { "m1/extra.log", "m1/extra.txt", "m1/sub/extra.txt" }, all);

        var sources2 = new MirrorSources();
        sources2.AddKey("m1/keep.txt");
        var filtered = await ExtrasAsync(new S3MirrorTarget(_s3.Bucket, "m1/", new WildcardFilter(new[] { "*.txt" }, new[] { "sub/*" }), null), sources2);
        Assert.Equal(new[] { "m1/extra.txt" }, filtered);
    }

    [Fact]
    public async Task More_extras_than_MaxDelete_yield_none_and_name_the_limit()
    {
        await SeedAsync("m2/a", "m2/b", "m2/c", "m2/d");
        var sources = new MirrorSources();
        sources.AddKey("m2/a");

        var atLimit = await ExtrasAsync(new S3MirrorTarget(_s3.Bucket, "m2/", new WildcardFilter(null, null), 3), sources);
        Assert.Equal(3, atLimit.Count);

        var sources2 = new MirrorSources();
        sources2.AddKey("m2/a");
        var yielded = new List<string>();
        using var budget = new RequestBudget(_s3.S3, 4);
        var error = await Assert.ThrowsAsync<S3TurboException>(async () =>
        {
            await foreach (var extra in Mirror.ExtrasAsync(budget, new S3MirrorTarget(_s3.Bucket, "m2/", new WildcardFilter(null, null), 2), sources2, 1, default))
                yielded.Add(extra.Key);
        });
        Assert.Empty(yielded);
        Assert.Equal(ErrorIds.MaxDeleteExceeded, error.ErrorId);
        Assert.Contains("-MaxDelete 2", error.Message);
        Assert.Contains($"s3://{_s3.Bucket}/m2/", error.Message);
    }

    [Fact]
    public async Task A_run_without_any_source_removes_nothing()
    {
        await SeedAsync("m3/a");
        var error = await Assert.ThrowsAsync<S3TurboException>(() => ExtrasAsync(new S3MirrorTarget(_s3.Bucket, "m3/", new WildcardFilter(null, null), null), new MirrorSources()));
        Assert.Equal(ErrorIds.MirrorSourceEmpty, error.ErrorId);
    }
}
