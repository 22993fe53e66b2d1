using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Bench;

/// <summary>The plain way to read an object: one GetObject, its response stream read to the end.</summary>
static class ReadBaselines
{
    public static async Task SingleGetAsync(IAmazonS3 s3, string bucket, string key)
    {
        var clock = Stopwatch.StartNew();
        using var response = await s3.GetObjectAsync(bucket, key);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await response.ResponseStream.ReadAsync(buffer)) > 0) total += n;
        Console.WriteLine($"seconds={clock.Elapsed.TotalSeconds:F3} bytes={total}");
    }
}
