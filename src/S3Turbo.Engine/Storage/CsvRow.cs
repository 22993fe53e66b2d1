using System.Text;

namespace S3Turbo.Engine.Storage;

/// <summary>CSV rows as RFC 4180 has them, for every CSV S3Turbo writes (tar indexes, completion reports).</summary>
public static class CsvRow
{
    /// <summary>Appends the fields, comma-separated, and a line feed. A field with a comma, quote, CR or LF is
    /// quoted with its quotes doubled; a null field is empty.</summary>
    public static void Append(StringBuilder text, IReadOnlyList<string?> fields)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) text.Append(',');
            var value = fields[i];
            if (value is null) continue;
            if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) text.Append(value);
            else text.Append('"').Append(value.Replace("\"", "\"\"")).Append('"');
        }
        text.Append('\n');
    }
}
