using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Storage;

/// <summary>Object properties applied to every upload (content type, metadata, headers, encryption, tags).</summary>
public sealed record ObjectSettings
{
    /// <summary>Overrides the Content-Type guessed from the file extension.</summary>
    public string? ContentType { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public string? CacheControl { get; init; }
    public string? ContentEncoding { get; init; }
    public string? StorageClass { get; init; }
    public string? CannedAcl { get; init; }
    /// <summary>AES256, aws:kms or aws:kms:dsse.</summary>
    public string? ServerSideEncryption { get; init; }
    public string? KmsKeyId { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>The checksum the object is written with (-ChecksumAlgorithm): its whole object's, kept by the store.</summary>
    public ChecksumAlgorithm Checksum { get; init; } = ChecksumAlgorithm.CRC64NVME;

    public string ContentTypeFor(string path) =>
        ContentType ?? Amazon.S3.Util.AmazonS3Util.MimeTypeFromExtension(Path.GetExtension(path));

    internal void ApplyTo(PutObjectRequest r, string path, bool withMetadata = true) => Apply(path, withMetadata, r.Metadata, r.Headers,
        v => r.ContentType = v, v => r.StorageClass = v, v => r.CannedACL = v, v => r.ServerSideEncryptionMethod = v,
        v => r.ServerSideEncryptionKeyManagementServiceKeyId = v, v => r.TagSet = v);

    internal void ApplyTo(InitiateMultipartUploadRequest r, string path, bool withMetadata = true) => Apply(path, withMetadata, r.Metadata, r.Headers,
        v => r.ContentType = v, v => r.StorageClass = v, v => r.CannedACL = v, v => r.ServerSideEncryptionMethod = v,
        v => r.ServerSideEncryptionKeyManagementServiceKeyId = v, v => r.TagSet = v);

    internal void ApplyTo(CopyObjectRequest r, string path, bool withMetadata = true) => Apply(path, withMetadata, r.Metadata, r.Headers,
        v => r.ContentType = v, v => r.StorageClass = v, v => r.CannedACL = v, v => r.ServerSideEncryptionMethod = v,
        v => r.ServerSideEncryptionKeyManagementServiceKeyId = v, v => r.TagSet = v);

    /// <summary>The SDK's request types share these properties but no interface, so each overload passes setters.
    /// Without <paramref name="withMetadata"/> only storage class, ACL, encryption and tags are set (a copy that keeps
    /// its source's metadata and headers).</summary>
    void Apply(string path, bool withMetadata, MetadataCollection metadata, HeadersCollection headers, Action<string> contentType,
        Action<S3StorageClass> storageClass, Action<S3CannedACL> acl, Action<ServerSideEncryptionMethod> sse, Action<string> kmsKeyId,
        Action<List<Tag>> tags)
    {
        if (withMetadata)
        {
            contentType(ContentTypeFor(path));
            foreach (var (k, v) in Metadata) metadata[k] = v;
            ApplyHeaders(headers);
        }
        if (StorageClass is not null) storageClass(S3StorageClass.FindValue(StorageClass));
        if (CannedAcl is not null) acl(S3CannedACL.FindValue(CannedAcl));
        if (ServerSideEncryption is not null) sse(ServerSideEncryptionMethod.FindValue(ServerSideEncryption));
        if (KmsKeyId is not null) kmsKeyId(KmsKeyId);
        if (Tags.Count > 0) tags(Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList());
    }

    void ApplyHeaders(HeadersCollection headers)
    {
        foreach (var (k, v) in Headers) headers[k] = v;
        if (CacheControl is not null) headers.CacheControl = CacheControl;
        if (ContentEncoding is not null) headers.ContentEncoding = ContentEncoding;
    }
}
