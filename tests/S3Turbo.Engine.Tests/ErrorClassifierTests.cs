using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class ErrorClassifierTests
{
    [Theory]
    [InlineData("NoSuchBucket", 404, "BucketNotFound", true)]
    [InlineData("SignatureDoesNotMatch", 403, "InvalidCredentials", true)]
    [InlineData("InvalidAccessKeyId", 403, "InvalidCredentials", true)]
    [InlineData("AccessDenied", 403, "AccessDenied", false)]
    [InlineData("XAmzContentSHA256Mismatch", 400, "ChecksumMismatch", false)]
    [InlineData("SlowDown", 503, "Throttled", false)]
    [InlineData("BadDigest", 400, "ChecksumMismatch", false)]
    public void Service_errors_get_stable_ids_and_run_fatality(string code, int status, string errorId, bool fatal)
    {
        var ex = new Amazon.S3.AmazonS3Exception("msg") { ErrorCode = code, StatusCode = (System.Net.HttpStatusCode)status };
        var classified = ErrorClassifier.Classify(ex, ErrorIds.UploadFailed, "bucket", "key");
        Assert.Equal(errorId, classified.ErrorId);
        Assert.Equal(fatal, classified.IsFatalForRun);
        if (errorId == "ChecksumMismatch") Assert.Contains("changed on the way; nothing was stored", classified.Message);
    }
}
