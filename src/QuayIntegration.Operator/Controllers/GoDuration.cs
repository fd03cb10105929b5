using System.Globalization;
using System.Text.RegularExpressions;

namespace QuayIntegration.Operator.Controllers;

/// <summary>Parses the Go duration subset the CRD allows (for example <c>10m</c>, <c>1h30m</c>, <c>1.5s</c>, <c>500ms</c>).</summary>
public static partial class GoDuration
{
    [GeneratedRegex(@"^(?:([0-9]+(?:\.[0-9]+)?)(ms|s|m|h))+\z")]
    private static partial Regex Whole();

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")]
    private static partial Regex Part();

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || !Whole().IsMatch(text)) return false;
        double ms = 0;
        foreach (Match m in Part().Matches(text))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            ms += m.Groups[2].Value switch { "ms" => n, "s" => n * 1000, "m" => n * 60_000, _ => n * 3_600_000 };
        }
        if (ms > TimeSpan.MaxValue.TotalMilliseconds / 2) return false;
        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>The shortest Go form of a whole number of seconds, minutes or hours (for messages).</summary>
    public static string Format(TimeSpan value) =>
        value.TotalHours >= 1 && value.TotalHours == Math.Floor(value.TotalHours) ? $"{(long)value.TotalHours}h"
        : value.TotalMinutes >= 1 && value.TotalMinutes == Math.Floor(value.TotalMinutes) ? $"{(long)value.TotalMinutes}m"
        : value.TotalSeconds >= 1 && value.TotalSeconds == Math.Floor(value.TotalSeconds) ? $"{(long)value.TotalSeconds}s"
        : $"{(long)value.TotalMilliseconds}ms";
}
