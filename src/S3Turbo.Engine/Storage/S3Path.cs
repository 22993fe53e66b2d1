namespace S3Turbo.Engine.Storage;

/// <summary>A bucket and a key or prefix, as written "s3://bucket/key" (also "bucket/key" is not accepted: the
/// scheme says the string is meant as a location, so a typo in a local path is not taken for a bucket).</summary>
public readonly record struct S3Path(string BucketName, string Key)
{
    public static bool LooksLikeUri(string? text) => text is not null && text.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    public static S3Path Parse(string text, string parameterName)
    {
        if (!LooksLikeUri(text))
            throw new S3TurboException(ErrorIds.InvalidS3Uri, FailureKind.InvalidArgument,
                $"-{parameterName} '{text}' is not an S3 URI: expected s3://bucket/key-or-prefix.", text);
        var rest = text.Substring("s3://".Length);
        int slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length == 0)
            throw new S3TurboException(ErrorIds.InvalidS3Uri, FailureKind.InvalidArgument,
                $"-{parameterName} '{text}' names no bucket: expected s3://bucket/key-or-prefix.", text);
        BucketNames.Validate(bucket);
        return new S3Path(bucket, key);
    }

    public override string ToString() => $"s3://{BucketName}/{Key}";
}
