
namespace S3Turbo;

/// <summary>How an item's outcome counts in a run: the engine's protocol, the same for every operation (each result
/// type has its own status words on top, such as UploadStatus).</summary>
public enum OutcomeKind
{
    /// <summary>The work was done (uploaded, copied, removed, indexed, sent).</summary>
    Done,
    /// <summary>Nothing needed doing (up to date, or not a regular file), and nothing failed.</summary>
    Skipped,
    Failed,
    /// <summary>A dry run (-WhatIf) decided the work would be done, and did not do it.</summary>
    WouldDo,
}

/// <summary>The object (or local file) an outcome is about, as a completion report names it: a file has no bucket.</summary>
public readonly record struct OutcomeSubject(string BucketName, string Key, string? VersionId = null);

/// <summary>What every per-item result tells the engine and its run: how it counts, how many bytes it stands for,
/// its failure, what it is about and its own status word (for reports), and what -WhatIf lists for it. Result types
/// implement it explicitly, so these members stay out of their default views.</summary>
public interface ITransferOutcome
{
    OutcomeKind Outcome { get; }
    long Size { get; }
    S3TurboException? Error { get; }
    OutcomeSubject Subject { get; }
    /// <summary>The result type's own word for its status ("Uploaded", "Skipped", "Deleted").</summary>
    string StatusText { get; }
    /// <summary>For a dry-run outcome: what would be done to what, as -WhatIf lists it; null otherwise.</summary>
    (string Target, string Action)? WhatIf { get; }
}

public enum UploadStatus { Uploaded, Skipped, Failed, WouldUpload }
public enum CopyStatus { Copied, Skipped, Failed, WouldCopy }
public enum DownloadStatus { Downloaded, Skipped, Failed, WouldDownload }
public enum RemoveStatus { Deleted, Failed, WouldDelete }
public enum WorkItemStatus { Sent, Failed, WouldSend }

/// <summary>How each result type's status counts (one place, so the types cannot disagree).</summary>
static class Outcomes
{
    public static OutcomeKind Of(UploadStatus s) => s switch { UploadStatus.Uploaded => OutcomeKind.Done, UploadStatus.Skipped => OutcomeKind.Skipped, UploadStatus.Failed => OutcomeKind.Failed, _ => OutcomeKind.WouldDo };
    public static OutcomeKind Of(CopyStatus s) => s switch { CopyStatus.Copied => OutcomeKind.Done, CopyStatus.Skipped => OutcomeKind.Skipped, CopyStatus.Failed => OutcomeKind.Failed, _ => OutcomeKind.WouldDo };
    public static OutcomeKind Of(DownloadStatus s) => s switch { DownloadStatus.Downloaded => OutcomeKind.Done, DownloadStatus.Skipped => OutcomeKind.Skipped, DownloadStatus.Failed => OutcomeKind.Failed, _ => OutcomeKind.WouldDo };
    public static OutcomeKind Of(RemoveStatus s) => s switch { RemoveStatus.Deleted => OutcomeKind.Done, RemoveStatus.Failed => OutcomeKind.Failed, _ => OutcomeKind.WouldDo };
    public static OutcomeKind Of(WorkItemStatus s) => s switch { WorkItemStatus.Sent => OutcomeKind.Done, WorkItemStatus.Failed => OutcomeKind.Failed, _ => OutcomeKind.WouldDo };
    public static string Bytes(long size) => size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " bytes";
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
    /// <summary>The object's checksum as "ALGORITHM:value" (e.g. "CRC64NVME:AAAAAAAAAAA="): the one the store reported,
    /// else the one sent (-ChecksumAlgorithm); null with -ChecksumAlgorithm None.</summary>
    public string? Checksum { get; init; }
    public UploadStatus Status { get; init; }
    /// <summary>Why it was skipped or failed.</summary>
    public string? Reason { get; init; }
    public int Parts { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>Set when Status is Failed.</summary>
    public S3TurboException? Error { get; init; }

    OutcomeKind ITransferOutcome.Outcome => Outcomes.Of(Status);
    OutcomeSubject ITransferOutcome.Subject => new(BucketName, Key);
    string ITransferOutcome.StatusText => Status.ToString();
    (string Target, string Action)? ITransferOutcome.WhatIf =>
        Status == UploadStatus.WouldUpload ? ($"{Path} → s3://{BucketName}/{Key} ({Outcomes.Bytes(Size)})", "Upload") : null;
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
    /// <summary>What proved the copy holds its source's bytes: "ETag" (the same ETag), a checksum's name (the same
    /// whole-object checksum), or why nothing could ("unverified: …").</summary>
    public string? Verification { get; init; }
    public CopyStatus Status { get; init; }
    public string? Reason { get; init; }
    public int Parts { get; init; }
    public TimeSpan Duration { get; init; }
    public S3TurboException? Error { get; init; }

    OutcomeKind ITransferOutcome.Outcome => Outcomes.Of(Status);
    OutcomeSubject ITransferOutcome.Subject => new(SourceBucket, SourceKey);
    string ITransferOutcome.StatusText => Status.ToString();
    (string Target, string Action)? ITransferOutcome.WhatIf => Status == CopyStatus.WouldCopy
        ? ($"s3://{SourceBucket}/{SourceKey} → s3://{DestinationBucket}/{DestinationKey} ({Outcomes.Bytes(Size)})", "Copy") : null;
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
    /// <summary>What proved the bytes, strongest first: the store's whole-object checksum ("CRC64NVME", "CRC32C",
    /// "CRC32", "SHA256"), its parts' checksums ("CRC32C of parts"), the ETag ("MD5", "MD5 of parts"), or why nothing
    /// could ("size only: …").</summary>
    public string? Verification { get; init; }
    /// <summary>The modification time the file was given (the object's x-amz-meta-mtime, else its LastModified).</summary>
    public DateTime? LastWriteTimeUtc { get; init; }
    public DownloadStatus Status { get; init; }
    public string? Reason { get; init; }
    /// <summary>Ranged GETs the object was fetched with.</summary>
    public int Parts { get; init; }
    public TimeSpan Duration { get; init; }
    public S3TurboException? Error { get; init; }

    OutcomeKind ITransferOutcome.Outcome => Outcomes.Of(Status);
    OutcomeSubject ITransferOutcome.Subject => new(BucketName, Key);
    string ITransferOutcome.StatusText => Status.ToString();
    (string Target, string Action)? ITransferOutcome.WhatIf => Status == DownloadStatus.WouldDownload
        ? ($"s3://{BucketName}/{Key} → {Path} ({Outcomes.Bytes(Size)})", "Download") : null;
}

/// <summary>One local file's removal by a mirror (Receive-S3Prefix -Delete) (S3Turbo.FileRemoveResult).</summary>
public sealed record FileRemoveResult : ITransferOutcome
{
    public string Path { get; init; } = "";
    public long Size { get; init; }
    public RemoveStatus Status { get; init; }
    public string? Reason { get; init; }
    public S3TurboException? Error { get; init; }

    OutcomeKind ITransferOutcome.Outcome => Outcomes.Of(Status);
    OutcomeSubject ITransferOutcome.Subject => new("", Path);
    string ITransferOutcome.StatusText => Status.ToString();
    (string Target, string Action)? ITransferOutcome.WhatIf => Status == RemoveStatus.WouldDelete ? (Path, "Remove") : null;
}

/// <summary>One key's (or version's) removal outcome (S3Turbo.RemoveResult).</summary>
public sealed record RemoveResult : ITransferOutcome
{
    public string BucketName { get; init; } = "";
    public string Key { get; init; } = "";
    /// <summary>The version removed; null when the current object was removed (unversioned, or without -AllVersions).</summary>
    public string? VersionId { get; init; }
    public bool IsDeleteMarker { get; init; }
    /// <summary>With -IncompleteUploads: the multipart upload aborted (Status Deleted), and when it was begun.</summary>
    public string? UploadId { get; init; }
    public DateTime? Initiated { get; init; }
    public long Size { get; init; }
    public RemoveStatus Status { get; init; }
    public string? Reason { get; init; }
    public S3TurboException? Error { get; init; }

    OutcomeKind ITransferOutcome.Outcome => Outcomes.Of(Status);
    OutcomeSubject ITransferOutcome.Subject => new(BucketName, Key, VersionId);
    string ITransferOutcome.StatusText => Status.ToString();
    (string Target, string Action)? ITransferOutcome.WhatIf => Status != RemoveStatus.WouldDelete ? null
        : UploadId is { } upload ? ($"s3://{BucketName}/{Key} (multipart upload {upload}, begun {Initiated:u})", "Abort the incomplete multipart upload")
        : ($"s3://{BucketName}/{Key}" + (VersionId is { } v ? $" (version {v}{(IsDeleteMarker ? ", delete marker" : "")})" : ""), "Remove");
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
    /// <summary>True when the run stopped before its input was done (-TimeLimit): run the same command again to
    /// finish; what was done is not done twice.</summary>
    public bool Incomplete { get; init; }
    /// <summary>Items planned but not done when an incomplete run stopped (large transfers in flight are left
    /// resumable). The input (a listing, a walk, a queue) was stopped too, so more may remain than this.</summary>
    public long ItemsLeft { get; init; }
    /// <summary>Why an incomplete run stopped ("TimeLimit").</summary>
    public string? StopReason { get; init; }
    /// <summary>The cap on bytes moved per second the run kept (-MaxBytesPerSecond), or null.</summary>
    public long? MaxBytesPerSecond { get; init; }

    /// <summary>The summary in one line, as -Verbose shows it.</summary>
    public virtual string Describe() =>
        $"{Operation}: {ItemsTransferred:N0} done, {ItemsSkipped:N0} skipped, {ItemsFailed:N0} failed, " +
        (ItemsDeleted > 0 ? $"{ItemsDeleted:N0} deleted (-Delete), " : "") +
        $"{BytesTransferred:N0} bytes in {Elapsed.TotalSeconds:N2} s" + (MaxBytesPerSecond is { } cap ? $" (capped at {cap / 1048576.0:N1} MiB/s)." : ".") +
        (Incomplete ? $" Incomplete ({StopReason}): {ItemsLeft:N0} planned item(s) left." : "");
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
    public WorkItemStatus Status { get; init; }
    public string? Reason { get; init; }
    public S3TurboException? Error { get; init; }
    /// <summary>The queue the work item went (or would go) to.</summary>
    public string QueueUrl { get; init; } = "";

    OutcomeKind ITransferOutcome.Outcome => Outcomes.Of(Status);
    OutcomeSubject ITransferOutcome.Subject => new(BucketName, Key);
    string ITransferOutcome.StatusText => Status.ToString();
    (string Target, string Action)? ITransferOutcome.WhatIf => Status == WorkItemStatus.WouldSend
        ? ($"{(Kind == "Manifest" ? Key : $"s3://{BucketName}/{Key}")} → {QueueUrl}", "Send work item") : null;
}
