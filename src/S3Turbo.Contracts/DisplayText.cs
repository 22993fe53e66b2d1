using System.Globalization;
using System.Text;

namespace S3Turbo;

/// <summary>Keys and file names as they are shown: a key may hold any character, and one holding an escape sequence
/// (ESC, CSI) or a bidirectional override would otherwise recolour, move or rewrite the terminal, or forge a log line.
/// Such characters are written in PowerShell's escape form (`u{1B}), so the text shown can be pasted back into a
/// double-quoted string to name the same key. Used by the tables, messages, warnings and progress.</summary>
public static class DisplayText
{
    /// <summary>The text with every control or direction-changing character escaped; the same string when it has none.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        int first = 0;
        while (first < text!.Length && !NeedsEscape(text[first])) first++;
        if (first == text.Length) return text;
        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (NeedsEscape(c)) escaped.Append("`u{").Append(((int)c).ToString("X", CultureInfo.InvariantCulture)).Append('}');
            else escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>C0 and C1 controls and DEL, and the marks that reorder or hide text (bidi embeddings, overrides and
    /// isolates, which "Trojan Source" strings use).</summary>
    static bool NeedsEscape(char c) => c < 0x20 || (c >= 0x7F && c <= 0x9F) || c is '\u200E' or '\u200F' or '\u061C'
        || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');
}
