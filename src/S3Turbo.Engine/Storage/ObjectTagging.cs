using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Storage;

/// <summary>Sets an object's tags with a request of its own. Tags sent with CreateMultipartUpload or with
/// CopyObject's REPLACE directive are ignored by some S3-compatible stores (Ceph RGW 18 among them), so where the
/// tags matter they are written again after the object exists.</summary>
static class ObjectTagging
{
    public static Task SetAsync(RequestBudget budget, string bucket, string key, IReadOnlyCollection<Tag> tags, CancellationToken cancellationToken) =>
        tags.Count == 0
            ? budget.RunAsync(ct => budget.Client.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = key }, ct), 0, cancellationToken)
            : budget.RunAsync(ct => budget.Client.PutObjectTaggingAsync(new PutObjectTaggingRequest
                { BucketName = bucket, Key = key, Tagging = new Tagging { TagSet = tags.ToList() } }, ct), 0, cancellationToken);

    public static async Task<List<Tag>> GetAsync(RequestBudget budget, string bucket, string key, CancellationToken cancellationToken)
    {
        var response = await budget.RunAsync(ct => budget.Client.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key }, ct), 0, cancellationToken).ConfigureAwait(false);
        return response.Tagging ?? new List<Tag>();
    }

    public static List<Tag> ToTags(IReadOnlyDictionary<string, string> tags) => tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
}
