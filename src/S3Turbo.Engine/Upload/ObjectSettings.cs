using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Upload;

/// <summary>Object properties applied to every upload (content type, metadata, headers, encryption, tags).</summary>
public sealed class ObjectSettings
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

    public string ContentTypeFor(string path) =>
        ContentType ?? Amazon.S3.Util.AmazonS3Util.MimeTypeFromExtension(Path.GetExtension(path));

    internal void ApplyTo(PutObjectRequest request, string path)
    {
        request.ContentType = ContentTypeFor(path);
        foreach (var (k, v) in Metadata) request.Metadata[k] = v;
        ApplyHeaders(request.Headers);
        if (StorageClass is not null) request.StorageClass = S3StorageClass.FindValue(StorageClass);
        if (CannedAcl is not null) request.CannedACL = S3CannedACL.FindValue(CannedAcl);
        if (ServerSideEncryption is not null) request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(ServerSideEncryption);
        if (KmsKeyId is not null) request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyId;
        if (Tags.Count > 0) request.TagSet = Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
    }

    internal void ApplyTo(InitiateMultipartUploadRequest request, string path)
    {
        request.ContentType = ContentTypeFor(path);
        foreach (var (k, v) in Metadata) request.Metadata[k] = v;
        ApplyHeaders(request.Headers);
        if (StorageClass is not null) request.StorageClass = S3StorageClass.FindValue(StorageClass);
        if (CannedAcl is not null) request.CannedACL = S3CannedACL.FindValue(CannedAcl);
        if (ServerSideEncryption is not null) request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(ServerSideEncryption);
        if (KmsKeyId is not null) request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKeyId;
        if (Tags.Count > 0) request.TagSet = Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
    }

    void ApplyHeaders(HeadersCollection headers)
    {
        foreach (var (k, v) in Headers) headers[k] = v;
        if (CacheControl is not null) headers.CacheControl = CacheControl;
        if (ContentEncoding is not null) headers.ContentEncoding = ContentEncoding;
    }
}
