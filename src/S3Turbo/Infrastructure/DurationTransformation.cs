using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace S3Turbo.Infrastructure;

/// <summary>Reads a duration the way a person writes one: a number is seconds (PowerShell would take 600 as 600
/// ticks, 60 µs), "90s", "14m", "1.5h", "7d", "500ms", or a TimeSpan ("00:14:00"). A bare "14:00" is refused: TimeSpan
/// reads it as 14 hours, which no one giving a time limit means.</summary>
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    static readonly Regex WithUnit = new(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        switch (value)
        {
            case null: return null;
            case TimeSpan span: return span;
            case int or long or short or byte or double or float or decimal:
                return TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case string text:
                if (WithUnit.Match(text) is { Success: true } match)
                {
                    double amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                    return match.Groups[2].Value.ToLowerInvariant() switch
                    {
                        "ms" => TimeSpan.FromMilliseconds(amount),
                        "s" => TimeSpan.FromSeconds(amount),
                        "m" => TimeSpan.FromMinutes(amount),
                        "h" => TimeSpan.FromHours(amount),
                        _ => TimeSpan.FromDays(amount),
                    };
                }
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)) return TimeSpan.FromSeconds(seconds);
                if (text.Count(c => c == ':') >= 2 && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed)) return parsed;
                throw new ArgumentTransformationMetadataException(
                    $"'{text}' is not a duration: give seconds (600), a number with a unit (90s, 14m, 1.5h, 7d) or hours:minutes:seconds (00:14:00).");
            default: return value;
        }
    }
}
