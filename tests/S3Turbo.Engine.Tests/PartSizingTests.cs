using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class PartSizingTests
{
    [Theory]
    [InlineData(100L << 20, 8L << 20, 8L << 20)]               // small enough: the requested size stands
    [InlineData(80_000L << 20, 8L << 20, 8L << 20)]            // exactly 10,000 parts of 8 MiB
    [InlineData(100L << 30, 8L << 20, 11L << 20)]              // 100 GiB needs 10.24 MiB parts → 11 MiB
    [InlineData(5L << 40, 8L << 20, 525L << 20)]               // 5 TiB: 524.288 MiB → 525 MiB
    public void ChoosePartSize_grows_to_stay_within_10000_parts(long objectSize, long requested, long expected)
    {
        long chosen = PartSizing.ChoosePartSize(objectSize, requested);
        Assert.Equal(expected, chosen);
        Assert.True(PartSizing.PartCount(objectSize, chosen) <= PartSizing.MaxParts);
    }

    [Theory]
    [InlineData(5L * 1024 * 1024 - 1)]
    [InlineData(5L * 1024 * 1024 * 1024 + 1)]
    public void Validate_rejects_sizes_outside_S3_limits_naming_the_parameter(long size)
    {
        var ex = Assert.Throws<S3TurboException>(() => PartSizing.Validate(size));
        Assert.Equal(ErrorIds.InvalidPartSize, ex.ErrorId);
        Assert.Contains("-PartSize", ex.Message);
    }

    [Fact]
    public void PartCount_counts_a_partial_last_part_and_one_part_for_empty()
    {
        Assert.Equal(3, PartSizing.PartCount(10 + 2 * (5L << 20), 5L << 20));
        Assert.Equal(1, PartSizing.PartCount(0, 5L << 20));
    }
}
