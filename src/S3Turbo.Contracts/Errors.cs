namespace S3Turbo;

/// <summary>Broad kinds of failure; the cmdlets map them to PowerShell error categories.</summary>
public enum FailureKind
{
    InvalidArgument, NotFound, PermissionDenied, Authentication, InvalidData, Connection,
    Throttled, ServerError, Stopped, ResourceBusy, NotSupported, Unknown,
    /// <summary>A limit the user set was reached (-MaxDelete).</summary>
    LimitExceeded,
}

/// <summary>Stable error identifiers; tests and users may rely on them.</summary>
public static class ErrorIds
{
    public const string InvalidRegion = "InvalidRegion";
    public const string NoRegion = "NoRegion";
    public const string InvalidEndpoint = "InvalidEndpoint";
    public const string InvalidCredentials = "InvalidCredentials";
    public const string NoCredentials = "NoCredentials";
    public const string ProfileNotFound = "ProfileNotFound";
    public const string InvalidBucketName = "InvalidBucketName";
    public const string BucketNotFound = "BucketNotFound";
    public const string AccessDenied = "AccessDenied";
    public const string ChecksumNotSupportedByStore = "ChecksumNotSupportedByStore";
    public const string ChecksumMismatch = "ChecksumMismatch";
    public const string KeyTooLong = "KeyTooLong";
    public const string InvalidKey = "InvalidKey";
    public const string PathNotFound = "PathNotFound";
    public const string SourceUnreadable = "SourceUnreadable";
    public const string SourceChanged = "SourceChanged";
    public const string SymlinkLoop = "SymlinkLoop";
    public const string OutsideBasePath = "OutsideBasePath";
    public const string InvalidPartSize = "InvalidPartSize";
    public const string InvalidConcurrency = "InvalidConcurrency";
    public const string InvalidRequestRate = "InvalidRequestRate";
    public const string InvalidTimeLimit = "InvalidTimeLimit";
    public const string InvalidByteRate = "InvalidByteRate";
    public const string InvalidS3Uri = "InvalidS3Uri";
    public const string CopyOntoItself = "CopyOntoItself";
    public const string DestinationInsideSource = "DestinationInsideSource";
    public const string SourceNotFound = "SourceNotFound";
    public const string InvalidPageSize = "InvalidPageSize";
    public const string InvalidBatchSize = "InvalidBatchSize";
    public const string InvalidInput = "InvalidInput";
    public const string WholeBucketNeedsForce = "WholeBucketNeedsForce";
    public const string MaxDeleteExceeded = "MaxDeleteExceeded";
    public const string MirrorSourceEmpty = "MirrorSourceEmpty";
    public const string MaxDeleteNeedsDelete = "MaxDeleteNeedsDelete";
    public const string ConflictingParameters = "ConflictingParameters";
    public const string InvalidShard = "InvalidShard";
    public const string ManifestNotFound = "ManifestNotFound";
    public const string InvalidManifest = "InvalidManifest";
    public const string ManifestChecksumMismatch = "ManifestChecksumMismatch";
    public const string UnsupportedManifestFormat = "UnsupportedManifestFormat";
    public const string InvalidWorkItem = "InvalidWorkItem";
    public const string InvalidQueueSetting = "InvalidQueueSetting";
    public const string QueueUnavailable = "QueueUnavailable";
    public const string KeyEscapesDestination = "KeyEscapesDestination";
    public const string PathThroughLink = "PathThroughLink";
    public const string FolderKeyHasData = "FolderKeyHasData";
    public const string InvalidFileName = "InvalidFileName";
    public const string InvalidLocalName = "InvalidLocalName";
    public const string LocalPathConflict = "LocalPathConflict";
    public const string DiskFull = "DiskFull";
    public const string DownloadFailed = "DownloadFailed";
    public const string InvalidBlockSize = "InvalidBlockSize";
    public const string ObjectNotFound = "ObjectNotFound";
    public const string ObjectChanged = "ObjectChanged";
    public const string NotATarArchive = "NotATarArchive";
    public const string TruncatedTarArchive = "TruncatedTarArchive";
    public const string InvalidTarArchive = "InvalidTarArchive";
    /// <summary>The store refused a write because of a setting the request carried (-StorageClass, -ServerSideEncryption,
    /// -CannedAcl, -Tag, -Header); the message names it.</summary>
    public const string SettingRefused = "SettingRefused";
    public const string InvalidOutputFormat = "InvalidOutputFormat";
    public const string CopyFailed = "CopyFailed";
    public const string EndpointUnreachable = "EndpointUnreachable";
    public const string Throttled = "Throttled";
    public const string UploadFailed = "UploadFailed";
    public const string RemoveFailed = "RemoveFailed";
    public const string TarIndexFailed = "TarIndexFailed";
    public const string ListFailed = "ListFailed";
    public const string ReadFailed = "ReadFailed";
    public const string RequestFailed = "RequestFailed";
    public const string AmbiguousDestination = "AmbiguousDestination";
    public const string NoDestination = "NoDestination";
    public const string ParquetNeedsPowerShell7 = "ParquetNeedsPowerShell7";
    public const string Stopped = "OperationStopped";
}

/// <summary>The engine's typed failure: an ErrorId, a kind and the thing that was wrong.</summary>
public class S3TurboException : Exception
{
    /// <summary>The message is for people: control characters in it (from a key or a name) are escaped (DisplayText).</summary>
    public S3TurboException(string errorId, FailureKind kind, string message, object? target, Exception? inner = null)
        : base(S3Turbo.DisplayText.Escape(message), inner)
    { ErrorId = errorId; Kind = kind; Target = target; }

    public string ErrorId { get; }
    public FailureKind Kind { get; }
    /// <summary>The key, path, bucket or parameter value the error is about.</summary>
    public object? Target { get; }
    /// <summary>True when every later request would fail the same way (bad credentials, missing bucket):
    /// the run stops instead of reporting the same error for every file.</summary>
    public bool IsFatalForRun { get; init; }

    /// <summary>The same failure about another target (each key of a batch that failed as a whole).</summary>
    public S3TurboException WithTarget(object? target) =>
        Equals(target, Target) ? this : new(ErrorId, Kind, Message, target, InnerException) { IsFatalForRun = IsFatalForRun };

    /// <summary>The same failure, marked as one that stops the run (an input every item depends on was refused).</summary>
    public S3TurboException AsFatalForRun() => IsFatalForRun ? this : new(ErrorId, Kind, Message, Target, InnerException) { IsFatalForRun = true };
}
