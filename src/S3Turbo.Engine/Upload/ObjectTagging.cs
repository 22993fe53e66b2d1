using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Concurrency;

namespace S3Turbo.Engine.Upload;

/// <summary>Sets an object's tags with a request of its own. Tags sent with CreateMultipartUpload or with
/// CopyObject's REPLACE directive are ignored by some S3-compatible stores (Ceph RGW 18 among them), so where the
/// tags matter they are written again after the object exists.</summary>
static class ObjectTagging
{
    public static Task SetAsync(IAmazonS3 s3, RequestScheduler scheduler, string bucket, string key, IReadOnlyCollection<Tag> tags, CancellationToken cancellationToken) =>
        tags.Count == 0
            ? scheduler.RunAsync(ct => s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = key }, ct), 0, cancellationToken)
            : scheduler.RunAsync(ct => s3.PutObjectTaggingAsync(new PutObjectTaggingRequest
                { BucketName = bucket, Key = key, Tagging = new Tagging { TagSet = tags.ToList() } }, ct), 0, cancellationToken);

    public static async Task<List<Tag>> GetAsync(IAmazonS3 s3, RequestScheduler scheduler, string bucket, string key, CancellationToken cancellationToken)
    {
        var response = await scheduler.RunAsync(ct => s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key }, ct), 0, cancellationToken).ConfigureAwait(false);
        return response.Tagging ?? new List<Tag>();
    }

    public static List<Tag> ToTags(IReadOnlyDictionary<string, string> tags) => tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
}
