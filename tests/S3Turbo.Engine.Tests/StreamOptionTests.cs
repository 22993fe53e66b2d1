namespace S3Turbo.Engine.Tests;

/// <summary>A stream that makes its own request budget sizes it from its options: a bad value is rejected first,
/// named as itself, before any budget or request exists.</summary>
public class StreamOptionTests
{
    [Fact]
    public void An_upload_stream_names_a_bad_MaxPartsInFlight()
    {
        var ex = Assert.Throws<S3TurboException>(() => new S3UploadStream(TestS3.Client(), new UploadStreamOptions { BucketName = "any-bucket", Key = "k", MaxPartsInFlight = -3 }));
        Assert.Equal(ErrorIds.InvalidConcurrency, ex.ErrorId);
        Assert.Contains("-MaxPartsInFlight -3", ex.Message);
    }

    [Fact]
    public void An_object_stream_names_a_bad_MaxConcurrentFetches()
    {
        // Thrown by the call itself, before any task or request exists.
        var ex = Assert.Throws<S3TurboException>(() => { _ = S3ObjectStream.OpenAsync(TestS3.Client(), new ObjectStreamOptions { BucketName = "any-bucket", Key = "k", MaxConcurrentFetches = -3 }); });
        Assert.Equal(ErrorIds.InvalidConcurrency, ex.ErrorId);
        Assert.Contains("-MaxConcurrentFetches -3", ex.Message);
    }
}
