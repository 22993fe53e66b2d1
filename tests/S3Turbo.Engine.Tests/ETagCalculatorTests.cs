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
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.MD5.HashData(data)).ToLowerInvariant(), await ETagCalculator.ComputeAsync(path, data.Length, (long?)null, default));
        var p1 = System.Security.Cryptography.MD5.HashData(data.AsSpan(0, 5 << 20));
        var p2 = System.Security.Cryptography.MD5.HashData(data.AsSpan(5 << 20, 5 << 20));
        var p3 = System.Security.Cryptography.MD5.HashData(data.AsSpan(10 << 20));
        var expected = Convert.ToHexString(System.Security.Cryptography.MD5.HashData(p1.Concat(p2).Concat(p3).ToArray())).ToLowerInvariant() + "-3";
        Assert.Equal(expected, await ETagCalculator.ComputeAsync(path, data.Length, 5 << 20, default));
        Assert.True(await ETagCalculator.MatchesAsync(path, data.Length, "\"" + expected + "\"", recordedPartSize: null, default)); // found among common sizes
        Assert.False(await ETagCalculator.MatchesAsync(path, data.Length, "\"0123456789abcdef0123456789abcdef-3\"", null, default));
    }

    [Fact]
    public async Task Parts_of_uneven_sizes_give_the_etag_of_those_parts()
    {
        // An object uploaded by another tool with parts of 6, 5 and 1 MiB (GetObjectAttributes tells the sizes).
        using var dir = new TempDir();
        var data = TempDir.Random(12 * 1024 * 1024, 5);
        var path = dir.Write("f.bin", data);
        long[] sizes = { 6 << 20, 5 << 20, 1 << 20 };
        var digests = new List<byte[]>();
        long at = 0;
        foreach (var size in sizes) { digests.Add(System.Security.Cryptography.MD5.HashData(data.AsSpan((int)at, (int)size))); at += size; }
        var expected = Convert.ToHexString(System.Security.Cryptography.MD5.HashData(digests.SelectMany(d => d).ToArray())).ToLowerInvariant() + "-3";
        Assert.Equal(expected, await ETagCalculator.ComputeAsync(path, 0, sizes, default));
        Assert.NotEqual(expected, await ETagCalculator.ComputeAsync(path, data.Length, 6L << 20, default)); // even 6 MiB parts differ
    }
}
