using S3Turbo.Engine;

namespace S3Turbo;

public enum TransferStatus { Uploaded, Copied, Skipped, Failed, WouldUpload, WouldCopy, Indexed, Deleted, WouldDelete, Downloaded, WouldDownload, Sent, WouldSend }

/// <summary>What every per-item result tells the engine: how it ended, how many bytes it stands for, and the
/// failure when it failed. The engine counts these; results that are not outcomes (tar entries) pass through.</summary>
public interface ITransferOutcome
{
    TransferStatus Status { get; }
    long Size { get; }
    S3TurboException? Error { get; }
}

/// <summary>How existing objects are treated.</summary>
public enum TransferMode
{
    /// <summary>Always write.</summary>
    Overwrite,
    /// <summary>Skip when the key already exists.</summary>
    Add,
    /// <summary>Skip when the object has the same size and content checksum (ETag).</summary>
    Update,
}

/// <summary>How Update mode decides that a file already matches its object (Send-S3Directory -Compare).</summary>
public enum UploadComparison
{
    /// <summary>Same size and the same content: the ETag recomputed from the file (MD5, or MD5 of parts), read only
    /// when the sizes match. No request beyond the listing, except a HEAD for a same-size multipart object.</summary>
    Checksum,
    /// <summary>Same size and the modification time recorded in x-amz-meta-mtime (as rclone does): nothing is read,
    /// but a same-size object costs a HEAD. Objects without that metadata are compared by checksum.</summary>
    ModifiedTime,
    /// <summary>Same size only (aws s3 sync --size-only): no read, no request beyond the listing; a change that
    /// keeps the size is missed.</summary>
    Size,
}

/// <summary>One file's outcome (S3Turbo.UploadResult).</summary>
public sealed record UploadResult : ITransferOutcome
{
    public string Path { get; init; } = "";
    public string BucketName { get; init; } = "";
    public string Key { get; init; } = "";
    public long Size { get; init; }
    /// <summary>The bytes stored when they differ from Size (a gzip-compressed object).</summary>
    public long? StoredSize { get; init; }
    /// <summary>"gzip" for an object compressed on the way (-Gzip).</summary>
    public string? ContentEncoding { get; init; }
    public string? ETag { get; init; }
    /// <summary>The checksum S3 reported (e.g. "CRC32:AAAAAA=="), when the store returns one.</summary>
    public string? Checksum { get; init; }
    public TransferStatus Status { get; init; }
    /// <summary>Why it was skipped or failed.</summary>
    public string? Reason { get; init; }
    public int Parts { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>Set when Status is Failed.</summary>
    public S3TurboException? Error { get; init; }
}

/// <summary>One object's copy outcome (S3Turbo.CopyResult).</summary>
public sealed record CopyResult : ITransferOutcome
{
    public string SourceBucket { get; init; } = "";
    public string SourceKey { get; init; } = "";
    public string DestinationBucket { get; init; } = "";
    public string DestinationKey { get; init; } = "";
    public long Size { get; init; }
    public string? ETag { get; init; }
    public TransferStatus Status { get; init; }
    public string? Reason { get; init; }
    public int Parts { get; init; }
    public TimeSpan Duration { get; init; }
    public S3TurboException? Error { get; init; }
}

/// <summary>One object's download outcome (S3Turbo.DownloadResult).</summary>
public sealed record DownloadResult : ITransferOutcome
{
    public string BucketName { get; init; } = "";
    public string Key { get; init; } = "";
    /// <summary>The local file (or, for a folder marker, directory).</summary>
    public string Path { get; init; } = "";
    public long Size { get; init; }
    public string? ETag { get; init; }
    /// <summary>What proved the bytes: "MD5" (a single-part ETag), "MD5 of parts" (a multipart ETag), or why
    /// nothing could ("size only: …").</summary>
    public string? Verification { get; init; }
    /// <summary>The modification time the file was given (the object's x-amz-meta-mtime, else its LastModified).</summary>
    public DateTime? LastWriteTimeUtc { get; init; }
    public TransferStatus Status { get; init; }
    public string? Reason { get; init; }
    /// <summary>Ranged GETs the object was fetched with.</summary>
    public int Parts { get; init; }
    public TimeSpan Duration { get; init; }
    public S3TurboException? Error { get; init; }
}

/// <summary>One key's (or version's) removal outcome (S3Turbo.RemoveResult).</summary>
public sealed record RemoveResult : ITransferOutcome
{
    public string BucketName { get; init; } = "";
    public string Key { get; init; } = "";
    /// <summary>The version removed; null when the current object was removed (unversioned, or without -AllVersions).</summary>
    public string? VersionId { get; init; }
    public bool IsDeleteMarker { get; init; }
    public long Size { get; init; }
    public TransferStatus Status { get; init; }
    public string? Reason { get; init; }
    public S3TurboException? Error { get; init; }
}

/// <summary>The end-of-run summary of every bulk operation (S3Turbo.TransferSummary); an operation with more to
/// say derives from it (TarIndexSummary).</summary>
public record TransferSummary
{
    public string Operation { get; init; } = "";
    public long ItemsTransferred { get; init; }
    public long BytesTransferred { get; init; }
    public long ItemsSkipped { get; init; }
    public long ItemsFailed { get; init; }
    /// <summary>Destination objects removed because they had no source (-Delete, mirroring); with -WhatIf, the
    /// ones that would be removed.</summary>
    public long ItemsDeleted { get; init; }
    public TimeSpan Elapsed { get; init; }
    public double ItemsPerSecond => Elapsed.TotalSeconds > 0 ? ItemsTransferred / Elapsed.TotalSeconds : 0;
    public double MegabytesPerSecond => Elapsed.TotalSeconds > 0 ? BytesTransferred / 1048576.0 / Elapsed.TotalSeconds : 0;
    /// <summary>Request concurrency at the end of the run (what the adaptive controller settled on).</summary>
    public int Concurrency { get; init; }
    public int PeakConcurrency { get; init; }
    /// <summary>Intervals in which the store throttled (503 SlowDown) and the controller backed off.</summary>
    public int ThrottleEvents { get; init; }
    /// <summary>HTTP requests retried by the SDK (connection resets, 5xx, throttling).</summary>
    public long Retries { get; init; }
    /// <summary>S3 requests the run made, by operation (e.g. ListObjectsV2 = 3, DeleteObjects = 3), each counted
    /// once however often it was retried.</summary>
    public IReadOnlyDictionary<string, long> RequestsByOperation { get; init; } = new Dictionary<string, long>();
    public bool WhatIf { get; init; }
}

/// <summary>A progress snapshot (S3Turbo.TransferProgress); totals grow as the input is discovered.</summary>
public sealed class TransferProgress
{
    public string Operation { get; init; } = "";
    public long ItemsCompleted { get; init; }
    public long ItemsDiscovered { get; init; }
    public long ItemsFailed { get; init; }
    public long ItemsSkipped { get; init; }
    public long BytesCompleted { get; init; }
    public long BytesDiscovered { get; init; }
    public bool InputComplete { get; init; }
    public double BytesPerSecond { get; init; }
    public double ItemsPerSecond { get; init; }
    public int Concurrency { get; init; }
    public int RequestsInFlight { get; init; }
    public TimeSpan Elapsed { get; init; }
    /// <summary>Null until the input is fully discovered.</summary>
    public TimeSpan? Remaining { get; init; }
    public int PercentComplete => BytesDiscovered + ItemsDiscovered == 0 ? 0
        : (int)Math.Min(100, 100.0 * (BytesCompleted + ItemsCompleted * 4096.0) / (BytesDiscovered + ItemsDiscovered * 4096.0));
}

/// <summary>One work item sent to a queue by Send-S3WorkItem (or that -WhatIf would send).</summary>
public sealed record WorkItemResult : ITransferOutcome
{
    /// <summary>Object, Prefix or Manifest.</summary>
    public string Kind { get; init; } = "Object";
    public string BucketName { get; init; } = "";
    /// <summary>The object's key, the prefix, or the manifest's location.</summary>
    public string Key { get; init; } = "";
    public long Size { get; init; }
    /// <summary>The cmdlet the work item names, if any.</summary>
    public string? Operation { get; init; }
    public string? MessageId { get; init; }
    public TransferStatus Status { get; init; }
    public string? Reason { get; init; }
    public S3TurboException? Error { get; init; }
}
