using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class ETagCalculatorTests
{
    [Fact]
    public async Task Single_part_etag_is_the_md5_and_multipart_is_md5_of_part_md5s()
    {
        using var dir = new TempDir();
        var data = TempDir.Random(12 * 1024 * 1024, 4);
        var path = dir.Write("f.bin", data);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.MD5.HashData(data)).ToLowerInvariant(), await ETagCalculator.ComputeAsync(path, data.Length, null, default));
        var p1 = System.Security.Cryptography.MD5.HashData(data.AsSpan(0, 5 << 20));
        var p2 = System.Security.Cryptography.MD5.HashData(data.AsSpan(5 << 20, 5 << 20));
        var p3 = System.Security.Cryptography.MD5.HashData(data.AsSpan(10 << 20));
        var expected = Convert.ToHexString(System.Security.Cryptography.MD5.HashData(p1.Concat(p2).Concat(p3).ToArray())).ToLowerInvariant() + "-3";
        Assert.Equal(expected, await ETagCalculator.ComputeAsync(path, data.Length, 5 << 20, default));
        Assert.True(await ETagCalculator.MatchesAsync(path, data.Length, "\"" + expected + "\"", recordedPartSize: null, default)); // found among common sizes
        Assert.False(await ETagCalculator.MatchesAsync(path, data.Length, "\"0123456789abcdef0123456789abcdef-3\"", null, default));
    }
}
