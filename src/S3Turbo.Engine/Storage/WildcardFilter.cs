using System.Text.RegularExpressions;

namespace S3Turbo.Engine.Storage;

/// <summary>Include/Exclude wildcard filters (PowerShell-style * ? [abc]) matched against the name and against the
/// path (or key) relative to the base directory (or listed prefix).</summary>
public sealed class WildcardFilter
{
    readonly Regex[] _include;
    readonly Regex[] _exclude;

    public WildcardFilter(IEnumerable<string>? include, IEnumerable<string>? exclude)
    {
        _include = (include ?? Array.Empty<string>()).Select(ToRegex).ToArray();
        _exclude = (exclude ?? Array.Empty<string>()).Select(ToRegex).ToArray();
    }

    public bool IsEmpty => _include.Length == 0 && _exclude.Length == 0;

    public bool Accepts(string name, string relativePath)
    {
        relativePath = relativePath.Replace('\\', '/');
        bool Matches(Regex r) => r.IsMatch(name) || r.IsMatch(relativePath);
        if (_include.Length > 0 && !_include.Any(Matches)) return false;
        return !_exclude.Any(Matches);
    }

    /// <summary>For an S3 key relative to the listed prefix: its last segment is the name.</summary>
    public bool AcceptsKey(string relativeKey) => Accepts(relativeKey[(relativeKey.LastIndexOf('/') + 1)..], relativeKey);

    static Regex ToRegex(string wildcard)
    {
        var pattern = Regex.Escape(wildcard).Replace(@"\*", ".*").Replace(@"\?", ".").Replace(@"\[", "[").Replace(@"\]", "]");
        return new Regex("^" + pattern + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }
}
