using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class KeyMapperTests
{
    static readonly string Root = Path.Combine(Path.GetTempPath(), "km-root");

    [Theory]
    [InlineData("data", "data/")]
    [InlineData("data/", "data/")]
    [InlineData("/data/x", "data/x/")]
    [InlineData("", "")]
    [InlineData(null, "")]
    [InlineData("a\\b", "a/b/")]
    public void NormalizePrefix_treats_a_prefix_as_a_folder(string? prefix, string expected) =>
        Assert.Equal(expected, KeyMapper.NormalizePrefix(prefix));

    [Fact]
    public void KeyFor_is_the_relative_path_with_slashes_under_the_prefix()
    {
        var mapper = new KeyMapper(Root, "backup");
        Assert.Equal("backup/a/b c/ünï.txt", mapper.KeyFor(Path.Combine(Root, "a", "b c", "ünï.txt")));
    }

    [Fact]
    public void KeyFor_a_file_outside_the_base_is_OutsideBasePath()
    {
        var ex = Assert.Throws<S3TurboException>(() => new KeyMapper(Root, null).KeyFor(Path.Combine(Path.GetTempPath(), "elsewhere.txt")));
        Assert.Equal(ErrorIds.OutsideBasePath, ex.ErrorId);
    }

    [Fact]
    public void KeyFor_a_key_over_1024_UTF8_bytes_is_KeyTooLong()
    {
        var name = new string('é', 520); // 1,040 bytes in UTF-8
        var ex = Assert.Throws<S3TurboException>(() => new KeyMapper(Root, null).KeyFor(Path.Combine(Root, name)));
        Assert.Equal(ErrorIds.KeyTooLong, ex.ErrorId);
    }

    [Fact]
    public void CommonRoot_is_the_deepest_shared_directory()
    {
        var files = new[] { Path.Combine(Root, "a", "x.txt"), Path.Combine(Root, "a", "b", "y.txt"), Path.Combine(Root, "c", "z.txt") };
        Assert.Equal(Root, KeyMapper.CommonRoot(files));
        Assert.Equal(Path.Combine(Root, "a"), KeyMapper.CommonRoot(files.Take(2)));
    }

    [Fact]
    public void WildcardFilter_matches_names_and_relative_paths()
    {
        var filter = new WildcardFilter(new[] { "*.log", "keep/*" }, new[] { "*secret*" });
        Assert.True(filter.Accepts("a.log", "x/a.log"));
        Assert.True(filter.Accepts("b.bin", "keep/b.bin"));
        Assert.False(filter.Accepts("b.bin", "other/b.bin"));
        Assert.False(filter.Accepts("my-secret.log", "my-secret.log"));
    }
}
