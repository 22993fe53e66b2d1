using System.Text;
using System.Text.RegularExpressions;

namespace S3Turbo.Engine.Download;

/// <summary>Maps object keys (relative to the listed prefix) to paths under a download's destination, refusing every
/// key that would land outside it or that this platform cannot hold as a name. Checked segment by segment and then
/// once more on the full path, so nothing is ever written outside the destination.</summary>
public static class LocalPaths
{
    static readonly Regex DriveLetter = new("^[A-Za-z]:", RegexOptions.CultureInvariant);
    static readonly Regex WindowsReservedName = new(@"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    static readonly char[] WindowsInvalidChars = "<>:\"|?*\\".ToCharArray().Concat(Enumerable.Range(0, 32).Select(c => (char)c)).ToArray();
    /// <summary>The longest file name (in UTF-8 bytes on Unix, UTF-16 units on Windows) common file systems hold.</summary>
    public const int MaxNameLength = 255;

    /// <summary>The destination directory as a full path without a trailing separator.</summary>
    public static string Root(string destination) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));

    /// <summary>The local path for a key relative to the listed prefix ("" or a trailing '/' names a folder), or an
    /// S3TurboException (KeyEscapesDestination, InvalidLocalName) naming the key and what is wrong with it.</summary>
    public static string Map(string root, string relativeKey, string sourceUri)
    {
        if (relativeKey.Length == 0) return root;
        var segments = relativeKey.EndsWith('/') ? relativeKey[..^1].Split('/') : relativeKey.Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0)
                throw i == 0 ? Escapes(sourceUri, "it starts with '/' (an absolute path)")
                    : Invalid(sourceUri, "it has an empty path segment ('//')");
            if (segment is "." or "..") throw Escapes(sourceUri, $"it has a '{segment}' segment");
            if (i == 0 && DriveLetter.IsMatch(segment)) throw Escapes(sourceUri, $"it starts with a drive letter ('{segment[..2]}')");
            if (OperatingSystem.IsWindows())
            {
                int bad = segment.IndexOfAny(WindowsInvalidChars);
                if (bad >= 0)
                    throw segment[bad] == '\\' ? Escapes(sourceUri, "it has a '\\' (a path separator on Windows)")
                        : Invalid(sourceUri, $"'{segment}' has a character Windows does not allow in names (U+{(int)segment[bad]:X4})");
                if (WindowsReservedName.IsMatch(segment)) throw Invalid(sourceUri, $"'{segment}' is a device name Windows reserves");
                if (segment.EndsWith('.') || segment.EndsWith(' ')) throw Invalid(sourceUri, $"'{segment}' ends with a dot or a space, which Windows drops");
                if (segment.Length > MaxNameLength) throw Invalid(sourceUri, $"the name '{segment[..40]}…' is {segment.Length} characters long; the limit is {MaxNameLength}");
            }
            else
            {
                if (segment.IndexOf('\0') >= 0) throw Invalid(sourceUri, "it has a NUL character");
                int bytes = Encoding.UTF8.GetByteCount(segment);
                if (bytes > MaxNameLength) throw Invalid(sourceUri, $"the name '{segment[..Math.Min(40, segment.Length)]}…' is {bytes} bytes long; the limit is {MaxNameLength}");
            }
        }
        var full = Path.GetFullPath(Path.Combine(root, string.Join(Path.DirectorySeparatorChar.ToString(), segments)));
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, comparison) && !string.Equals(full, root, comparison))
            throw Escapes(sourceUri, $"it resolves to '{full}'");
        return full;
    }

    /// <summary>Checks that no directory from <paramref name="root"/> (exclusive: the root is the user's choice) down to
    /// <paramref name="directory"/> (inclusive) is a symbolic link or junction: a link placed in the destination (by an
    /// earlier run, an archive, anyone) must not carry a write, a rename or a deletion out of it. Directories not there
    /// yet are fine: they are made as real directories. Called before directories are made and again right before a
    /// rename or deletion, since the tree may change in between.</summary>
    public static void CheckNoLinkBetween(string root, string directory, string sourceUri)
    {
        var relative = Path.GetRelativePath(root, directory);
        if (relative == ".") return;
        var current = root;
        foreach (var segment in relative.Split(Path.DirectorySeparatorChar))
        {
            current = Path.Combine(current, segment);
            // FileInfo asks lstat: a link is reported as a link, not as what it points to.
            if (new FileInfo(current).LinkTarget is { } target)
                throw new S3TurboException(ErrorIds.PathThroughLink, FailureKind.InvalidArgument,
                    $"{sourceUri} was not written: '{current}' is a symbolic link (to '{target}'), and nothing is ever written, renamed or " +
                    "deleted through a link inside the destination. Remove the link, or use another destination directory.", sourceUri);
            if (!Directory.Exists(current)) return; // the rest is made by the download itself
        }
    }

    static S3TurboException Escapes(string sourceUri, string why) => new(ErrorIds.KeyEscapesDestination, FailureKind.InvalidArgument,
        $"{sourceUri} was not downloaded: its key would be written outside -Destination because {why}.", sourceUri);

    static S3TurboException Invalid(string sourceUri, string why) => new(ErrorIds.InvalidLocalName, FailureKind.InvalidArgument,
        $"{sourceUri} was not downloaded: its key cannot be a local path here because {why}.", sourceUri);
}
