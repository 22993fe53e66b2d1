using System.Text;

namespace S3Turbo.Engine.Storage;

/// <summary>Maps local paths to object keys: the path relative to a base directory, with '/' separators,
/// under a key prefix.</summary>
public sealed class KeyMapper
{
    public const int MaxKeyBytes = 1024;
    readonly string _basePath;
    readonly string _prefix;

    public KeyMapper(string basePath, string? keyPrefix)
    {
        _basePath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(basePath));
        _prefix = NormalizePrefix(keyPrefix);
    }

    public string BasePath => _basePath;

    /// <summary>"data" and "data/" both mean the folder data/; "/" or "" means the bucket root.</summary>
    public static string NormalizePrefix(string? keyPrefix)
    {
        if (string.IsNullOrEmpty(keyPrefix)) return "";
        var prefix = keyPrefix!.Replace('\\', '/').TrimStart('/');
        return prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/";
    }

    /// <summary>The "folder" a key is in, with its trailing '/' ("" for a key at the bucket's top).</summary>
    public static string FolderOf(string key) => key[..(key.LastIndexOf('/') + 1)];

    /// <summary>The key for a file, or an S3TurboException when the file is outside the base path or the key
    /// is longer than S3 allows.</summary>
    public string KeyFor(string fullPath)
    {
        var relative = Path.GetRelativePath(_basePath, fullPath);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            throw new S3TurboException(ErrorIds.OutsideBasePath, FailureKind.InvalidArgument,
                $"'{fullPath}' is not under the base path '{_basePath}'; pass -BasePath to say what keys are relative to.", fullPath);
        var key = _prefix + relative.Replace(Path.DirectorySeparatorChar, '/').Replace(Path.AltDirectorySeparatorChar, '/');
        return CheckLength(key, $"The key for '{fullPath}'", fullPath) is { } tooLong ? throw tooLong : key;
    }

    /// <summary>The deepest directory that contains all the given paths.</summary>
    public static string CommonRoot(IEnumerable<string> fullPaths)
    {
        string? root = null;
        foreach (var path in fullPaths)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? path;
            root = root is null ? dir : CommonAncestor(root, dir);
        }
        return root ?? Directory.GetCurrentDirectory();
    }

    static string CommonAncestor(string a, string b)
    {
        var sa = a.Split(Path.DirectorySeparatorChar);
        var sb = b.Split(Path.DirectorySeparatorChar);
        int n = 0;
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        while (n < sa.Length && n < sb.Length && string.Equals(sa[n], sb[n], comparison)) n++;
        var joined = string.Join(Path.DirectorySeparatorChar, sa.Take(n));
        return joined.Length == 0 ? Path.DirectorySeparatorChar.ToString() : joined;
    }

    /// <summary>The KeyTooLong failure for a key longer than S3 allows (1,024 UTF-8 bytes), else null.</summary>
    public static S3TurboException? CheckLength(string key, string description, object target)
    {
        int bytes = Encoding.UTF8.GetByteCount(key);
        return bytes <= MaxKeyBytes ? null : new S3TurboException(ErrorIds.KeyTooLong, FailureKind.InvalidArgument,
            $"{description} is {bytes} bytes; S3 allows at most {MaxKeyBytes}.", target);
    }
}
