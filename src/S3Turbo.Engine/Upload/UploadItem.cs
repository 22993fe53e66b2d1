namespace S3Turbo.Engine.Upload;

/// <summary>One unit of input for a directory upload: a file to send, a member of a tar archive, or an entry already
/// known to be skipped or failed (so that it is counted and reported in order with the rest, never dropped silently).</summary>
public sealed class UploadItem : TransferItem
{
    UploadItem(string path, string key, FileSnapshot snapshot, string? skipReason, long length, DateTime modified)
    { Path = path; Key = key; Snapshot = snapshot; SkipReason = skipReason; Length = length; ModifiedTimeUtc = modified; SourceFile = path; }

    /// <summary>The file, or "archive/member" for a tar member (what results and errors name).</summary>
    public string Path { get; }
    public string Key { get; }
    /// <summary>Of the file that is read (the archive, for a tar member): a change while uploading fails the item.</summary>
    public FileSnapshot Snapshot { get; }
    /// <summary>Set for entries that are skipped with a warning (device files, FIFOs, unfollowed links).</summary>
    public string? SkipReason { get; }
    /// <summary>The bytes the object stores (before any gzip).</summary>
    public long Length { get; }
    /// <summary>Recorded as x-amz-meta-mtime.</summary>
    public DateTime ModifiedTimeUtc { get; }
    /// <summary>The file the bytes are read from, at <see cref="SourceOffset"/>.</summary>
    internal string SourceFile { get; private init; }
    internal long SourceOffset { get; private init; }
    /// <summary>A member of a compressed archive: its bytes arrive from the decompressor, once, front to back.</summary>
    internal TarMemberData? StreamedData { get; private init; }

    public static UploadItem ForFile(FileInfo file, string key) => new(file.FullName, key, FileSnapshot.Of(file), null, file.Length, file.LastWriteTimeUtc);

    /// <summary>A member of an uncompressed archive, read in place from its data offset.</summary>
    internal static UploadItem ForMember(string archive, FileSnapshot archiveSnapshot, string memberPath, string key, long offset, long length, DateTime modified) =>
        new(memberPath, key, archiveSnapshot, null, length, modified) { SourceFile = archive, SourceOffset = offset };

    /// <summary>A member of a compressed archive, whose bytes the archive's reader feeds to <paramref name="data"/>.</summary>
    internal static UploadItem ForStreamedMember(string archive, string memberPath, string key, long length, DateTime modified, TarMemberData data) =>
        new(memberPath, key, default, null, length, modified) { SourceFile = archive, StreamedData = data };

    public static UploadItem ForFailure(string path, S3TurboException failure) => new(path, "", default, null, 0, default) { Failure = failure };
    /// <summary>An entry skipped with a warning. <paramref name="key"/> is the key it would have (a directory's ends
    /// in '/'), so that a mirror keeps what is there; "" when it cannot have one.</summary>
    public static UploadItem ForSkip(string path, string reason, string key) => new(path, key, default, reason, 0, default);

    /// <summary>The [offset, offset+length) of the item's bytes, read straight from the file.</summary>
    internal FileSegmentStream OpenSegment(long offset, long length) => new(SourceFile, SourceOffset + offset, length, Snapshot);

    /// <summary>Throws SourceChanged when the file read from changed since it was listed.</summary>
    internal void EnsureUnchanged() => Snapshot.EnsureUnchanged(SourceFile);
}
