namespace S3Turbo.Engine.Upload;

/// <summary>One unit of input for a DirectoryUpload: a file to send, or a file already known to be skipped or
/// failed (so that it is counted and reported in order with the rest, never dropped silently).</summary>
public sealed class UploadItem
{
    UploadItem(string path, string key, FileSnapshot snapshot, S3TurboException? failure, string? skipReason)
    { Path = path; Key = key; Snapshot = snapshot; Failure = failure; SkipReason = skipReason; }

    public string Path { get; }
    public string Key { get; }
    public FileSnapshot Snapshot { get; }
    public S3TurboException? Failure { get; }
    /// <summary>Set for entries that are skipped with a warning (device files, FIFOs, unfollowed links).</summary>
    public string? SkipReason { get; }

    public static UploadItem ForFile(FileInfo file, string key) => new(file.FullName, key, FileSnapshot.Of(file), null, null);
    public static UploadItem ForFailure(string path, S3TurboException failure) => new(path, "", default, failure, null);
    public static UploadItem ForSkip(string path, string reason) => new(path, "", default, null, reason);
}
