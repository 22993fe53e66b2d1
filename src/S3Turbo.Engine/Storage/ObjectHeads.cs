using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Storage;

/// <summary>What a HEAD tells about an object that a listing would have told (for objects piped in without it), and
/// the part size of a multipart object (a HEAD of part 1), shared by the copy and the download.</summary>
public static class ObjectHeads
{
    /// <summary>The object with its size, ETag, storage class and LastModified read from a HEAD.</summary>
    public static async Task<ListedObject> CompleteAsync(RequestBudget budget, ListedObject source, CancellationToken cancellationToken)
    {
        var head = await budget.RunAsync(ct => budget.Client.GetObjectMetadataAsync(source.BucketName, source.Key, ct), 0, cancellationToken).ConfigureAwait(false);
        return source with { Size = head.ContentLength, ETag = head.ETag, StorageClass = head.StorageClass?.Value, LastModified = head.LastModified };
    }

    /// <summary>The part size of a multipart object of uniform parts: the size of part 1 (a HEAD with partNumber=1),
    /// when it agrees with the part count its ETag gives; null for a single-part object, and for stores that ignore
    /// partNumber (Ceph 18 answers with the whole object) or refuse it. Not pinned to the ETag: stores differ in which
    /// ETag a part answers with (moto: 412 against the object's); the requests that use the size are pinned.</summary>
    public static async Task<long?> PartSizeAsync(RequestBudget budget, ListedObject source, CancellationToken cancellationToken)
    {
        int parts = ETagCalculator.PartCountOf(source.ETag);
        if (parts < 2) return null;
        try
        {
            var part1 = await budget.RunAsync(ct => budget.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest
                { BucketName = source.BucketName, Key = source.Key, PartNumber = 1 }, ct), 0, cancellationToken).ConfigureAwait(false);
            long size = part1.ContentLength;
            return size > 0 && PartSizing.PartCount(source.Size, size) == parts ? size : null;
        }
        catch (AmazonS3Exception) { return null; }
    }
}
