using System.Runtime.InteropServices;

namespace S3Turbo.Engine.Upload;

/// <summary>Walks directories lazily (one directory's entries at a time, never the whole tree), turning every
/// entry into an UploadItem: files to send, and problems (unreadable directories, symlink loops, special
/// files) as failed or skipped items so nothing is dropped silently.</summary>
public static class LocalFileEnumerator
{
    public static IEnumerable<UploadItem> Enumerate(string root, bool recurse, bool followSymlinks, WildcardFilter filter, KeyMapper keys, CancellationToken cancellationToken)
    {
        var pending = new Stack<(DirectoryInfo Dir, HashSet<string> Ancestors)>();
        var rootDir = new DirectoryInfo(root);
        pending.Push((rootDir, new HashSet<string>(StringComparer.Ordinal) { RealPath(rootDir) }));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (dir, ancestors) = pending.Pop();
            var subdirectories = new List<DirectoryInfo>();
            foreach (var entry in SafeEntries(dir))
            {
                if (entry.Failure is not null) { yield return entry.Failure; continue; }
                var info = entry.Info!;
                if (info is DirectoryInfo sub)
                {
                    if (!recurse) continue;
#if NETFRAMEWORK
                    // .NET Framework cannot read a link's target, so loops could not be detected: never follow.
                    if (sub.LinkTarget is not null)
#else
                    if (sub.LinkTarget is not null && !followSymlinks)
#endif
                    {
                        yield return UploadItem.ForSkip(sub.FullName, "symbolic link to a directory, not followed (use -FollowSymlink)", SkippedKey(keys, sub.FullName, "/"));
                        continue;
                    }
                    subdirectories.Add(sub);
                    continue;
                }
                var item = ForFile((FileInfo)info, filter, keys);
                if (item is not null) yield return item;
            }
            // Push in reverse so directories are visited in name order.
            foreach (var sub in subdirectories.OrderByDescending(d => d.Name, StringComparer.Ordinal))
            {
                var real = RealPath(sub);
                if (ancestors.Contains(real))
                {
                    yield return UploadItem.ForFailure(sub.FullName, new S3TurboException(ErrorIds.SymlinkLoop, FailureKind.InvalidData,
                        $"'{sub.FullName}' is a symbolic link loop (it leads back to '{real}'); its contents were not uploaded twice.", sub.FullName));
                    continue;
                }
                pending.Push((sub, new HashSet<string>(ancestors, StringComparer.Ordinal) { real }));
            }
        }
    }

    /// <summary>The UploadItem for one file (null when the filters exclude it).</summary>
    public static UploadItem? ForFile(FileInfo file, WildcardFilter filter, KeyMapper keys)
    {
        try
        {
            if (!filter.IsEmpty && !filter.Accepts(file.Name, Path.GetRelativePath(keys.BasePath, file.FullName))) return null;
            FileInfo target = file;
            // The attributes came with the directory entry; only a link needs the readlink call LinkTarget makes.
            if ((file.Attributes & FileAttributes.ReparsePoint) != 0 && file.LinkTarget is not null)
            {
                if (file.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo resolved || !resolved.Exists)
                    return UploadItem.ForFailure(file.FullName, new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound,
                        $"'{file.FullName}' is a symbolic link whose target does not exist.", file.FullName));
                target = resolved;
            }
            if (!target.Exists)
                return UploadItem.ForFailure(file.FullName, UndecodableName(file.FullName) ?? new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound,
                    $"'{file.FullName}' does not exist (it may have been deleted after it was listed).", file.FullName));
            if (target.Length == 0 && SpecialFiles.IsSpecial(target.FullName, out var kind))
                return UploadItem.ForSkip(file.FullName, $"{kind}, not a regular file", SkippedKey(keys, file.FullName, ""));
            var key = keys.KeyFor(file.FullName);
            return UploadItem.ForFile(target, key);
        }
        catch (S3TurboException ex) { return UploadItem.ForFailure(file.FullName, ex); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return UploadItem.ForFailure(file.FullName, ErrorClassifier.Classify(ex, ErrorIds.SourceUnreadable, "", null, file.FullName));
        }
    }

    /// <summary>The key a skipped entry would have had ("" when it could have none, e.g. too long).</summary>
    static string SkippedKey(KeyMapper keys, string path, string suffix)
    {
        try { return keys.KeyFor(path) + suffix; }
        catch (S3TurboException) { return ""; }
    }

    readonly record struct Entry(FileSystemInfo? Info, UploadItem? Failure);

    static IEnumerable<Entry> SafeEntries(DirectoryInfo dir)
    {
        IEnumerator<FileSystemInfo> e;
        try { e = dir.EnumerateFileSystemInfos().GetEnumerator(); } // lazily, one entry at a time: a flat directory of millions stays flat in memory
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            e = null!;
            return new[] { new Entry(null, Unreadable(dir, ex)) };
        }
        return Drain(e, dir);
    }

    static IEnumerable<Entry> Drain(IEnumerator<FileSystemInfo> e, DirectoryInfo dir)
    {
        using (e)
        {
            while (true)
            {
                Entry next;
                bool more;
                try
                {
                    more = e.MoveNext();
                    next = more ? new Entry(e.Current, null) : default;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
                {
                    more = false;
                    next = new Entry(null, Unreadable(dir, ex));
                }
                if (next.Info is not null || next.Failure is not null) yield return next;
                if (!more) yield break;
            }
        }
    }

    static UploadItem Unreadable(DirectoryInfo dir, Exception ex) =>
        UploadItem.ForFailure(dir.FullName, UndecodableName(dir.FullName) ?? new S3TurboException(ErrorIds.SourceUnreadable, FailureKind.PermissionDenied,
            $"The directory '{dir.FullName}' cannot be read, so its files were not uploaded: {ex.Message}", dir.FullName, ex));

    /// <summary>A name that is not valid UTF-8 (a Latin-1 name from an old system, a damaged one): .NET reads it with
    /// U+FFFD in place of the bytes it cannot decode, so it can open the entry by neither name, and an S3 key, which
    /// is UTF-8, could not hold those bytes anyway. Said as such, not as a file that has gone. Null for other names.</summary>
    static S3TurboException? UndecodableName(string path) => OperatingSystem.IsWindows() || path.IndexOf('\uFFFD') < 0 ? null
        : new S3TurboException(ErrorIds.InvalidFileName, FailureKind.InvalidData,
            $"'{path}' was not uploaded: its name is not valid UTF-8 (shown with U+FFFD where its bytes cannot be decoded), and S3 keys are UTF-8. " +
            "Rename it to UTF-8 (for example with convmv -f latin1 -t utf-8).", path);

    static string RealPath(DirectoryInfo dir)
    {
        try { return (dir.LinkTarget is null ? dir : dir.ResolveLinkTarget(true) as DirectoryInfo ?? dir).FullName.TrimEnd(Path.DirectorySeparatorChar); }
        catch (IOException) { return dir.FullName; }
    }
}

/// <summary>Tells FIFOs, sockets and device nodes from regular files. .NET reports them all as "Normal", and
/// opening a FIFO blocks forever, so the runtime's own stat (System.Native, whose FileStatus layout is the
/// runtime's, not the C library's) is asked. Only zero-length entries need asking: special files report 0.</summary>
static class SpecialFiles
{
    [StructLayout(LayoutKind.Sequential)]
    struct FileStatusPrefix { public int Flags; public int Mode; }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    static extern unsafe int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* output);

    public static unsafe bool IsSpecial(string path, out string kind)
    {
        kind = "";
        if (OperatingSystem.IsWindows()) return false;
        byte* buffer = stackalloc byte[512]; // larger than any runtime's FileStatus
        try { if (Stat(path, buffer) != 0) return false; }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { return false; }
        int type = ((FileStatusPrefix*)buffer)->Mode & 0xF000;
        kind = type switch { 0x1000 => "a FIFO (named pipe)", 0x2000 => "a character device", 0x6000 => "a block device", 0xC000 => "a socket", _ => "" };
        return kind.Length > 0;
    }
}
