using System.Globalization;

namespace S3Turbo.Engine.Storage;

/// <summary>The file modification time kept in x-amz-meta-mtime, in rclone's form (Unix seconds with a fraction),
/// so rclone, S3Turbo's Receive-S3Prefix and Send-S3Directory -Compare ModifiedTime read each other's objects.</summary>
public static class ModifiedTimeMetadata
{
    public const string Key = "mtime";

    /// <summary>Seconds with the 7 decimals .NET keeps (100 ns), which round-trip through <see cref="Parse"/>.</summary>
    public static string Format(DateTime utc)
    {
        long ticks = utc.ToUniversalTime().Ticks - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long fraction);
        if (fraction < 0) { seconds--; fraction += TimeSpan.TicksPerSecond; }
        return fraction == 0 ? seconds.ToString(CultureInfo.InvariantCulture)
            : seconds.ToString(CultureInfo.InvariantCulture) + "." + fraction.ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0');
    }

    /// <summary>Parsed exactly (decimal, not double: a double loses the last microseconds of today's times).</summary>
    public static DateTime? Parse(string? text)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            || seconds is <= 0 or >= 253402300799m) return null;
        return new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks((long)decimal.Round(seconds * TimeSpan.TicksPerSecond));
    }
}
