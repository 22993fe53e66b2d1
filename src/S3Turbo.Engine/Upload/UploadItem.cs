namespace S3Turbo.Engine.Upload;

/// <summary>One unit of input for a directory upload: a file to send, or a file already known to be skipped or
/// failed (so that it is counted and reported in order with the rest, never dropped silently).</summary>
public sealed class UploadItem : TransferItem
{
    UploadItem(string path, string key, FileSnapshot snapshot, string? skipReason)
    { Path = path; Key = key; Snapshot = snapshot; SkipReason = skipReason; }

    public string Path { get; }
    public string Key { get; }
    public FileSnapshot Snapshot { get; }
    /// <summary>Set for entries that are skipped with a warning (device files, FIFOs, unfollowed links).</summary>
    public string? SkipReason { get; }

    public static UploadItem ForFile(FileInfo file, string key) => new(file.FullName, key, FileSnapshot.Of(file), null);
    public static UploadItem ForFailure(string path, S3TurboException failure) => new(path, "", default, null) { Failure = failure };
    /// <summary>An entry skipped with a warning. <paramref name="key"/> is the key it would have (a directory's ends
    /// in '/'), so that a mirror keeps what is there; "" when it cannot have one.</summary>
    public static UploadItem ForSkip(string path, string reason, string key) => new(path, key, default, reason);
}
