using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace S3Turbo.Engine.Storage;

/// <summary>Turns SDK and I/O exceptions into S3TurboException with a stable ErrorId and a message that names
/// the bucket/key/path. Messages never contain credentials (the SDK's messages do not either).</summary>
public static class ErrorClassifier
{
    /// <param name="ex">What was thrown.</param>
    /// <param name="fallbackErrorId">The operation's own ErrorId for a failure nothing more specific describes
    /// (UploadFailed, CopyFailed, ListFailed…), so a failed listing never reads as a failed upload.</param>
    /// <param name="bucket">The bucket the request was for.</param>
    /// <param name="key">The key, when the request was for one object.</param>
    /// <param name="localPath">The local file, when one was being read or written.</param>
    /// <param name="settings">What a write set on the object: a store's refusal of one of them (InvalidArgument for a
    /// storage class it lacks, InvalidRequest for aws:kms without KMS) is reported naming that parameter.</param>
    public static S3TurboException Classify(Exception ex, string fallbackErrorId, string bucket, string? key, string? localPath = null, ObjectSettings? settings = null)
    {
        if (ex is S3TurboException typed) return typed;
        string where = key is null ? $"bucket '{bucket}'" : $"s3://{bucket}/{key}";
        object target = (object?)localPath ?? key ?? bucket;
        switch (ex)
        {
            case OperationCanceledException:
                return new S3TurboException(ErrorIds.Stopped, FailureKind.Stopped, $"The transfer of {where} was stopped.", target, ex);
            case AmazonS3Exception s3 when settings is not null && RefusedSetting(s3, settings) is { } refused:
                return new S3TurboException(ErrorIds.SettingRefused, FailureKind.NotSupported,
                    $"The store refused to write {where} ({s3.ErrorCode}{(string.IsNullOrWhiteSpace(s3.Message) ? "" : ": " + s3.Message)}) with {refused}: it does not support {(refused.Contains(", ") ? "one of these settings" : "this setting")}. Leave it out, or choose a value this store accepts.", target, s3)
                    { IsFatalForRun = true };
            case AmazonS3Exception s3:
                return ClassifyService(s3, fallbackErrorId, bucket, where, target);
            case AmazonServiceException service when service.StatusCode == HttpStatusCode.NotFound:
                return new S3TurboException(ErrorIds.BucketNotFound, FailureKind.NotFound, $"The bucket '{bucket}' does not exist.", bucket, ex) { IsFatalForRun = true };
            case FileNotFoundException or DirectoryNotFoundException:
                return new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound, $"'{localPath}' no longer exists: {ex.Message}", target, ex);
            case UnauthorizedAccessException:
                return new S3TurboException(ErrorIds.SourceUnreadable, FailureKind.PermissionDenied, $"'{localPath}' cannot be read: {ex.Message}", target, ex);
            case IOException when localPath is not null && ex.InnerException is null && ex is not EndOfStreamException:
                return new S3TurboException(ErrorIds.SourceUnreadable, FailureKind.InvalidData, $"'{localPath}' could not be read: {ex.Message}", target, ex);
        }
        if (FindInner<SocketException>(ex) is { } socket || FindInner<HttpRequestException>(ex) is not null || ex is AmazonClientException { InnerException: HttpRequestException })
            return new S3TurboException(ErrorIds.EndpointUnreachable, FailureKind.Connection,
                $"Could not reach the S3 endpoint for {where}: {Innermost(ex).Message}", target, ex);
        return new S3TurboException(fallbackErrorId, FailureKind.Unknown, $"{where}: {ex.Message}", target, ex);
    }

    /// <summary>The typed failure behind an upload stream's IOException (a Stream reports failures as IOExceptions):
    /// the kind of the store's answer it wraps (bad credentials stay InvalidCredentials, a missing bucket
    /// BucketNotFound), with the stream's message naming the part; UploadFailed when nothing more is known.</summary>
    public static S3TurboException ClassifyStreamFailure(IOException failure, string bucket, string key, ObjectSettings? settings = null)
    {
        var cause = failure.InnerException is { } inner ? Classify(inner, ErrorIds.UploadFailed, bucket, key, settings: settings) : null;
        return cause is null || cause.ErrorId == ErrorIds.UploadFailed
            ? new S3TurboException(ErrorIds.UploadFailed, cause?.Kind ?? FailureKind.Unknown, failure.Message, $"s3://{bucket}/{key}", failure)
            : new S3TurboException(cause.ErrorId, cause.Kind, failure.Message, $"s3://{bucket}/{key}", failure) { IsFatalForRun = cause.IsFatalForRun };
    }

    static S3TurboException ClassifyService(AmazonS3Exception s3, string fallbackErrorId, string bucket, string where, object target)
    {
        string code = s3.ErrorCode ?? "";
        return code switch
        {
            "NoSuchBucket" => new(ErrorIds.BucketNotFound, FailureKind.NotFound, $"The bucket '{bucket}' does not exist.", bucket, s3) { IsFatalForRun = true },
            "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" or "TokenRefreshRequired" =>
                new(ErrorIds.InvalidCredentials, FailureKind.Authentication,
                    $"The store rejected the credentials ({code}) for {where}. Check the access key, secret key and session token.", bucket, s3) { IsFatalForRun = true },
            "AccessDenied" or "AllAccessDisabled" => new(ErrorIds.AccessDenied, FailureKind.PermissionDenied, $"Access denied to {where}.", target, s3),
            // S3Turbo never sends aws-chunked bodies, so a signed SHA-256 that does not match means changed bytes too.
            "BadDigest" or "InvalidDigest" or "XAmzContentSHA256Mismatch" or "XAmzContentChecksumMismatch" =>
                new(ErrorIds.ChecksumMismatch, FailureKind.InvalidData,
                    $"The store refused the body it received for {where}: it does not match the checksum sent with it ({code}), so the bytes changed on the way; nothing was stored.", target, s3),
            "InvalidBucketName" => new(ErrorIds.InvalidBucketName, FailureKind.InvalidArgument, $"'{bucket}' is not a valid bucket name.", bucket, s3) { IsFatalForRun = true },
            "KeyTooLongError" => new(ErrorIds.KeyTooLong, FailureKind.InvalidArgument, $"The key is too long for S3: {where}.", target, s3),
            "SlowDown" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded" or "ServiceUnavailable" =>
                new(ErrorIds.Throttled, FailureKind.Throttled, $"The store kept throttling {where} ({code}) beyond the retry limit.", target, s3),
            _ when s3.StatusCode == HttpStatusCode.NotFound && code == "" =>
                new(ErrorIds.BucketNotFound, FailureKind.NotFound, $"The bucket '{bucket}' does not exist.", bucket, s3) { IsFatalForRun = true },
            _ when s3.StatusCode == HttpStatusCode.Forbidden =>
                new(ErrorIds.AccessDenied, FailureKind.PermissionDenied, $"Access denied to {where} ({code}).", target, s3),
            _ when (int)s3.StatusCode >= 500 =>
                new(fallbackErrorId, FailureKind.ServerError, $"The store failed on {where}: {(int)s3.StatusCode} {code} {s3.Message}", target, s3),
            _ => new(fallbackErrorId, FailureKind.Unknown, $"{where}: {code} {s3.Message}".Trim(), target, s3),
        };
    }

    /// <summary>The parameters (with their values) a store's refusal of a write blames: the one its answer names
    /// (storage class, encryption, ACL, tags, checksum), else every optional setting the request carried, since
    /// stores such as Ceph answer a bare "InvalidArgument". Null when the answer is not a refusal of a setting or
    /// the request carried none.</summary>
    static string? RefusedSetting(AmazonS3Exception s3, ObjectSettings settings)
    {
        string code = s3.ErrorCode ?? "";
        bool refusal = code is "InvalidArgument" or "InvalidRequest" or "InvalidStorageClass" or "NotImplemented" or "InvalidEncryptionAlgorithmError"
                       or "UnsupportedArgument" || code.StartsWith("KMS.", StringComparison.Ordinal);
        if (!refusal || (s3.StatusCode != HttpStatusCode.BadRequest && s3.StatusCode != HttpStatusCode.NotImplemented)) return null;
        var carried = new List<(string Words, string Parameter)>();
        if (settings.StorageClass is { } storageClass) carried.Add(("storage class|storageclass|storage-class", $"-StorageClass {storageClass}"));
        if (settings.ServerSideEncryption is { } sse)
            carried.Add(("encrypt|kms|sse", $"-ServerSideEncryption {sse}" + (settings.KmsKeyId is { } kmsKey ? $" -KmsKeyId {kmsKey}" : "")));
        if (settings.CannedAcl is { } acl) carried.Add(("acl|grant", $"-CannedAcl {acl}"));
        if (settings.Tags.Count > 0) carried.Add(("tag", $"-Tag ({string.Join(", ", settings.Tags.Keys)})"));
        if (settings.Headers.Count > 0) carried.Add(("header", $"-Header ({string.Join(", ", settings.Headers.Keys)})"));
        string said = $"{code} {s3.Message}".ToLowerInvariant();
        // A code that names the setting decides; else the words of the store's answer.
        string? codeNames = code == "InvalidStorageClass" ? "-StorageClass" : code.StartsWith("KMS.", StringComparison.Ordinal) ? "-ServerSideEncryption" : null;
        var named = carried.Where(c => codeNames is not null ? c.Parameter.StartsWith(codeNames, StringComparison.Ordinal) : c.Words.Split('|').Any(said.Contains)).ToList();
        // Checksums are on by default: blamed only when the store's answer names them.
        if (named.Count == 0 && said.Contains("checksum")) return $"-ChecksumAlgorithm {settings.Checksum}";
        var blamed = named.Count > 0 ? named : carried;
        return blamed.Count == 0 ? null : string.Join(", ", blamed.Select(c => c.Parameter));
    }

    /// <summary>True for S3 answers that mean "slow down" (used by the adaptive controller).</summary>
    public static bool IsThrottle(Exception ex) =>
        FindInner<AmazonServiceException>(ex) is { } se &&
        (se.StatusCode == HttpStatusCode.ServiceUnavailable || (int)se.StatusCode == 429 ||
         se.ErrorCode is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded");

    static T? FindInner<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException) if (ex is T t) return t;
        return null;
    }

    static Exception Innermost(Exception ex) { while (ex.InnerException is not null) ex = ex.InnerException; return ex; }
}
