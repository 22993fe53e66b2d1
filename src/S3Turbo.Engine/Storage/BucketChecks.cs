using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Storage;

/// <summary>S3 bucket-name rules, checked before any request so a typo gives a precise error.</summary>
public static class BucketNames
{
    public static void Validate(string? bucket)
    {
        if (Problem(bucket) is { } problem)
            throw new S3TurboException(ErrorIds.InvalidBucketName, FailureKind.InvalidArgument, $"The bucket name '{bucket}' is not valid: it {problem}.", bucket);
    }

    public static bool IsValid(string? bucket) => Problem(bucket) is null;

    static string? Problem(string? bucket) => bucket switch
        {
            null or "" => "is empty",
            { Length: < 3 or > 63 } => "must be 3 to 63 characters long",
            _ when bucket.Any(c => !(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-')) =>
                "may contain only lowercase letters, digits, '.' and '-'",
            _ when !char.IsLetterOrDigit(bucket[0]) || !char.IsLetterOrDigit(bucket[^1]) => "must begin and end with a letter or digit",
            _ when bucket.Contains("..") => "must not contain two adjacent periods",
            _ => null,
        };
}

public static class Preflight
{
    /// <summary>One HEAD on the bucket: a missing bucket, rejected credentials or an unreachable endpoint become a
    /// single terminating error. A 403 on HEAD alone may just mean no s3:ListBucket right, so it is probed once more
    /// with a request whose error body tells bad credentials from missing permissions.</summary>
    public static async Task CheckBucketAsync(RequestBudget budget, string bucket, CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        try
        {
            await budget.RunAsync(ct => budget.Client.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket }, ct), 0, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden && ex.ErrorCode is "AccessDenied" or "AllAccessDisabled")
        {
            // The credentials were accepted; the principal may still be allowed to write objects.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var failure = ErrorClassifier.Classify(ex, ErrorIds.RequestFailed, bucket, null);
            throw new S3TurboException(failure.ErrorId, failure.Kind, failure.Message, failure.Target, ex) { IsFatalForRun = true };
        }
    }
}
