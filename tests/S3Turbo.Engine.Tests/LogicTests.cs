using S3Turbo.Engine.Concurrency;
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
        Assert.True(5L * 1024 * 1024 * MiB / PartSizing.ChoosePartSize(5L * 1024 * 1024 * MiB, PartSizing.AutoPartSize(5L * 1024 * 1024 * MiB)) <= 10_000);
}

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

public class AdaptiveConcurrencyControllerTests
{
    [Fact]
    public void Grows_while_throughput_grows_then_settles_at_the_knee()
    {
        // Throughput rises linearly until 40 requests, then stays flat: the controller should stop near 40.
        var controller = new AdaptiveConcurrencyController(initial: 8, min: 2, max: 256);
        double Throughput(int limit) => Math.Min(limit, 40) * 1000.0;
        for (int i = 0; i < 30; i++) controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.InRange(controller.Limit, 40, 90);
        Assert.True(controller.PeakLimit >= 40);
        Assert.True(controller.PeakLimit < 256, "it must not climb to the maximum when throughput is flat");
    }

    [Fact]
    public void Slow_start_doubles_while_throughput_keeps_up_then_steps_by_half()
    {
        var controller = new AdaptiveConcurrencyController(initial: 16, min: 2, max: 256);
        double Throughput(int limit) => Math.Min(limit, 100) * 1000.0;
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.Equal(32, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.Equal(64, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.Equal(128, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true); // 100k vs 64k: still a gain
        Assert.Equal(256, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true); // flat: back to the best
        Assert.Equal(128, controller.Limit);
        for (int i = 0; i < 3; i++) controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.True(controller.Limit <= 192, $"after slow start steps are ×1.5 at most, got {controller.Limit}");
    }

    [Fact]
    public void Backs_off_on_throttling_and_does_not_grow_past_the_throttle_ceiling_right_away()
    {
        var controller = new AdaptiveConcurrencyController(initial: 60, min: 2, max: 256);
        controller.Observe(1000, throttled: true, saturated: true);
        Assert.Equal(40, controller.Limit);
        Assert.Equal(1, controller.Throttles);
        for (int i = 0; i < 10; i++) controller.Observe(1000 + i * 500, throttled: false, saturated: true);
        Assert.True(controller.Limit <= 59, $"limit {controller.Limit} went past the ceiling of 59");
    }

    [Fact]
    public void Does_not_change_when_requests_do_not_wait_for_slots()
    {
        var controller = new AdaptiveConcurrencyController(initial: 16, min: 2, max: 256);
        for (int i = 0; i < 10; i++) controller.Observe(1000 * (i + 1), throttled: false, saturated: false);
        Assert.Equal(16, controller.Limit);
    }

    [Fact]
    public void Repeated_throttling_drives_it_to_the_minimum_and_no_lower()
    {
        var controller = new AdaptiveConcurrencyController(initial: 64, min: 2, max: 256);
        for (int i = 0; i < 20; i++) controller.Observe(10, throttled: true, saturated: true);
        Assert.Equal(2, controller.Limit);
    }
}

public class RequestLimiterTests
{
    [Fact]
    public async Task Holds_the_limit_and_releases_waiters_in_order()
    {
        var limiter = new RequestLimiter(2);
        var a = await limiter.AcquireAsync(default);
        var b = await limiter.AcquireAsync(default);
        var c = limiter.AcquireAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(c.IsCompleted);
        Assert.Equal(1, limiter.Waiting);
        a.Dispose();
        (await c.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        b.Dispose();
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public async Task Raising_the_limit_releases_waiters_and_lowering_waits_for_requests_to_finish()
    {
        var limiter = new RequestLimiter(1);
        var first = await limiter.AcquireAsync(default);
        var second = limiter.AcquireAsync(default).AsTask();
        limiter.SetLimit(2);
        var secondLease = await second.WaitAsync(TimeSpan.FromSeconds(5));
        limiter.SetLimit(1);
        first.Dispose();
        var third = limiter.AcquireAsync(default).AsTask();
        await Task.Delay(50);
        Assert.False(third.IsCompleted); // still one in flight at limit 1
        secondLease.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_up_its_place()
    {
        var limiter = new RequestLimiter(1);
        var held = await limiter.AcquireAsync(default);
        using var cts = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, limiter.Waiting);
        held.Dispose();
        Assert.Equal(0, limiter.InFlight);
    }
}

public class ItemPipelineTests
{
    [Fact]
    public async Task Adding_blocks_when_the_queue_is_full_so_memory_stays_bounded()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0;
        var pipeline = new ItemPipeline<int, int>(workers: 2, inputCapacity: 3, outputCapacity: 10, async (item, ct) =>
        {
            Interlocked.Increment(ref started);
            await gate.Task.WaitAsync(ct);
            return item * 10;
        }, CancellationToken.None);

        // 2 items taken by the workers + 3 queued = 5 accepted; the 6th must wait.
        for (int i = 0; i < 5; i++) await pipeline.AddAsync(i).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await WaitUntil(() => Volatile.Read(ref started) == 2);
        var sixth = pipeline.AddAsync(5).AsTask();
        await Task.Delay(100);
        Assert.False(sixth.IsCompleted, "the sixth item should wait for room");
        Assert.Equal(3, pipeline.QueuedItems);

        gate.SetResult();
        await sixth.WaitAsync(TimeSpan.FromSeconds(5));
        pipeline.CompleteAdding();
        var results = new List<int>();
        await foreach (var r in pipeline.Results.ReadAllAsync()) results.Add(r);
        await pipeline.Completion;
        Assert.Equal(new[] { 0, 10, 20, 30, 40, 50 }, results.OrderBy(x => x));
    }

    [Fact]
    public async Task A_fatal_failure_stops_the_run_and_faults_completion()
    {
        var pipeline = new ItemPipeline<int, int>(2, 10, 10, (item, ct) => Task.FromResult(item), CancellationToken.None);
        var fatal = new S3TurboException(ErrorIds.InvalidCredentials, FailureKind.Authentication, "bad keys", null);
        pipeline.Fail(fatal);
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => pipeline.AddAsync(1).AsTask());
        var thrown = await Assert.ThrowsAsync<S3TurboException>(() => pipeline.Completion);
        Assert.Same(fatal, thrown);
    }

    static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition());
    }
}

public class FileSegmentStreamTests
{
    [Fact]
    public void Reads_exactly_its_range()
    {
        using var dir = new TempDir();
        var data = TempDir.Random(10_000, 1);
        var path = dir.Write("f.bin", data);
        using var segment = new FileSegmentStream(path, 1000, 3000, FileSnapshot.Of(new FileInfo(path)));
        var copy = new MemoryStream();
        segment.CopyTo(copy);
        Assert.Equal(data.Skip(1000).Take(3000).ToArray(), copy.ToArray());
        segment.Position = 0; // the SDK rewinds for retries
        Assert.Equal(data[1000], (byte)segment.ReadByte());
    }

    [Fact]
    public void A_file_that_changed_is_refused_before_the_last_bytes_are_handed_out()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.bin", TempDir.Random(10_000, 2));
        var snapshot = FileSnapshot.Of(new FileInfo(path));
        File.SetLastWriteTimeUtc(path, snapshot.LastWriteTimeUtc.AddSeconds(5)); // same size, new content time
        using var segment = new FileSegmentStream(path, 0, 10_000, snapshot);
        var buffer = new byte[4096];
        Assert.Equal(4096, segment.Read(buffer, 0, 4096));
        Assert.Equal(4096, segment.Read(buffer, 0, 4096));
        var ex = Assert.Throws<S3TurboException>(() => segment.Read(buffer, 0, 4096)); // the read that would finish it
        Assert.Equal(ErrorIds.SourceChanged, ex.ErrorId);
    }

    [Fact]
    public void A_truncated_file_is_SourceChanged()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.bin", TempDir.Random(10_000, 3));
        var snapshot = FileSnapshot.Of(new FileInfo(path));
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(5000);
        using var segment = new FileSegmentStream(path, 0, 10_000, snapshot);
        var ex = Assert.Throws<S3TurboException>(() => segment.CopyTo(Stream.Null));
        Assert.Equal(ErrorIds.SourceChanged, ex.ErrorId);
    }
}

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

public class ErrorClassifierTests
{
    [Theory]
    [InlineData("NoSuchBucket", 404, "BucketNotFound", true)]
    [InlineData("SignatureDoesNotMatch", 403, "InvalidCredentials", true)]
    [InlineData("InvalidAccessKeyId", 403, "InvalidCredentials", true)]
    [InlineData("AccessDenied", 403, "AccessDenied", false)]
    [InlineData("XAmzContentSHA256Mismatch", 400, "ChecksumNotSupportedByStore", true)]
    [InlineData("SlowDown", 503, "Throttled", false)]
    public void Service_errors_get_stable_ids_and_run_fatality(string code, int status, string errorId, bool fatal)
    {
        var ex = new Amazon.S3.AmazonS3Exception("msg") { ErrorCode = code, StatusCode = (System.Net.HttpStatusCode)status };
        var classified = ErrorClassifier.Classify(ex, "bucket", "key");
        Assert.Equal(errorId, classified.ErrorId);
        Assert.Equal(fatal, classified.IsFatalForRun);
        if (errorId == "ChecksumNotSupportedByStore") Assert.Contains("-RequestChecksumCalculation WhenRequired", classified.Message);
    }
}

public class ConnectionTests
{
    [Fact]
    public void Without_an_endpoint_the_client_talks_https_to_AWS_in_the_given_region()
    {
        using var connection = S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            AccessKey = "AKIDEXAMPLE", SecretKey = "secret", Region = "eu-west-1", EndpointUrl = null,
        });
        var config = (Amazon.S3.AmazonS3Config)connection.Client.Config;
        Assert.False(config.UseHttp);
        Assert.Null(config.ServiceURL);
        Assert.Equal("eu-west-1", config.RegionEndpoint?.SystemName);
        Assert.False(connection.Options.IsPlainHttp);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7480", true)]
    [InlineData("https://s3.example.net", false)]
    public void A_custom_endpoint_is_plain_http_only_when_it_says_so(string endpoint, bool plain)
    {
        using var connection = S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            AccessKey = "AKIDEXAMPLE", SecretKey = "secret", EndpointUrl = endpoint,
        });
        Assert.Equal(plain, connection.Options.IsPlainHttp);
        Assert.Equal(endpoint.TrimEnd('/'), ((Amazon.S3.AmazonS3Config)connection.Client.Config).ServiceURL?.TrimEnd('/'));
    }

    [Fact]
    public void A_credential_object_from_another_SDK_copy_is_read_through_GetCredentials()
    {
        var foreign = new ForeignLookingCredentials();
        using var connection = S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            Credential = foreign, EndpointUrl = "https://s3.example.net",
        });
        var credentials = connection.Options.Credentials!.GetCredentials();
        Assert.Equal(("AKIDFOREIGN", "foreign-secret", "token"), (credentials.AccessKey, credentials.SecretKey, credentials.Token));
        Assert.Equal("credential object", connection.CredentialSource);
        var error = Assert.Throws<S3TurboException>(() => S3Turbo.Engine.Connection.S3Connection.Create(new S3Turbo.Engine.Connection.S3ConnectionRequest
        {
            Credential = "not credentials", EndpointUrl = "https://s3.example.net",
        }));
        Assert.Equal(ErrorIds.InvalidCredentials, error.ErrorId);
    }

    /// <summary>Shaped like AWS.Tools' credentials from its own AWSSDK.Core: same members, unrelated types.</summary>
    sealed class ForeignLookingCredentials
    {
        public sealed class Immutable { public string AccessKey => "AKIDFOREIGN"; public string SecretKey => "foreign-secret"; public string Token => "token"; }
        public Immutable GetCredentials() => new();
    }
}
