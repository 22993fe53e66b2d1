using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Bench;

/// <summary>What the server sustains for bare requests on a list of keys (CopyObject, GetObject with the body read
/// and dropped, or PutObject of local files read whole first) at a fixed number of concurrent requests, for several
/// concurrencies; prints objects/s for each and the best.</summary>
static class RequestCeiling
{
    public static Task CopyAsync(IAmazonS3 s3, string sourceBucket, string sourcePrefix, string destinationBucket, int[] concurrencies) =>
        RunAsync(s3, sourceBucket, sourcePrefix, concurrencies, "copies", (key, concurrency) =>
            s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = sourceBucket, SourceKey = key, DestinationBucket = destinationBucket, DestinationKey = $"ceiling{concurrency}/{key}" }));

    public static Task GetAsync(IAmazonS3 s3, string bucket, string prefix, int[] concurrencies) =>
        RunAsync(s3, bucket, prefix, concurrencies, "GETs", async (key, _) =>
        {
            using var response = await s3.GetObjectAsync(bucket, key);
            await response.ResponseStream.CopyToAsync(Stream.Null);
        });

    /// <summary>Every file under <paramref name="directory"/>, its bytes in memory, PUT to prefix/concurrency/name.</summary>
    public static Task PutAsync(IAmazonS3 s3, string bucket, string prefix, string directory, int[] concurrencies)
    {
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(path => Path.GetRelativePath(directory, path).Replace('\\', '/'), File.ReadAllBytes);
        return RunAsync(s3, files.Keys.ToList(), concurrencies, "PUTs", (name, concurrency) =>
            s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"{prefix}ceiling{concurrency}/{name}", InputStream = new MemoryStream(files[name], false) }));
    }

    static async Task RunAsync(IAmazonS3 s3, string bucket, string prefix, int[] concurrencies, string what, Func<string, int, Task> request)
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token });
            keys.AddRange((page.S3Objects ?? new()).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        await RunAsync(s3, keys, concurrencies, what, request);
    }

    static async Task RunAsync(IAmazonS3 s3, List<string> keys, int[] concurrencies, string what, Func<string, int, Task> request)
    {
        double best = 0; int bestConcurrency = 0;
        foreach (int concurrency in concurrencies)
        {
            int next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) < keys.Count;) await request(keys[i], concurrency);
            }));
            double rate = keys.Count / clock.Elapsed.TotalSeconds;
            Console.WriteLine($"concurrency {concurrency}: {keys.Count} {what} in {clock.Elapsed.TotalSeconds:F2} s = {rate:F0} objects/s");
            if (rate > best) { best = rate; bestConcurrency = concurrency; }
        }
        Console.WriteLine($"ceiling: {best:F0} objects/s at concurrency {bestConcurrency}");
    }
}
