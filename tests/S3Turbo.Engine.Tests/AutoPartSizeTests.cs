using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class AutoPartSizeTests
{
    const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(17 * MiB, 8 * MiB)]        // just past the multipart threshold: the minimum default
    [InlineData(128 * MiB, 8 * MiB)]       // 16 parts of 8 MiB
    [InlineData(200 * MiB, 13 * MiB)]      // a sixteenth, rounded up to a whole MiB
    [InlineData(1024 * MiB, 32 * MiB)]     // capped at 32 MiB: 32 parts
    [InlineData(100L * 1024 * MiB, 32 * MiB)]
    public void Files_get_about_sixteen_parts_between_8_and_32_MiB(long fileSize, long expected) =>
        Assert.Equal(expected, PartSizing.AutoPartSize(fileSize));

    [Fact]
    public void A_huge_file_still_stays_within_10000_parts() =>
        Assert.True(PartSizing.PartCount(5L * 1024 * 1024 * MiB, PartSizing.ChoosePartSize(5L * 1024 * 1024 * MiB, PartSizing.AutoPartSize(5L * 1024 * 1024 * MiB))) <= 10_000);
}
