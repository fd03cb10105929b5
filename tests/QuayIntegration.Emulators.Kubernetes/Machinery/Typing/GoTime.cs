using System.Globalization;

namespace QuayIntegration.Emulators.Kubernetes.Machinery.Typing;

/// <summary>
/// metav1.Time and metav1.MicroTime as they decode and encode (k8s.io/apimachinery/pkg/apis/meta/v1/time.go,
/// micro_time.go): Time parses with Go's time.RFC3339 (a fraction of any length is accepted after the seconds) and is
/// written back in UTC to the second; MicroTime parses with RFC3339Micro, <c>2006-01-02T15:04:05.000000Z07:00</c>,
/// which demands exactly six fractional digits, and is written back in UTC with six digits. Parse failures read as Go's
/// time.ParseError: <c>parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"</c>.
/// </summary>
public static class GoTime
{
    public const string Rfc3339 = "2006-01-02T15:04:05Z07:00";
    public const string Rfc3339Micro = "2006-01-02T15:04:05.000000Z07:00";

    /// <summary>The normalised text, or a Go-worded error.</summary>
    public static (string? Value, string? Error) Normalize(string text, bool micro)
    {
        var layout = micro ? Rfc3339Micro : Rfc3339;
        var rest = text;
        string Fail(string element) => $"parsing time \"{text}\" as \"{layout}\": cannot parse \"{rest}\" as \"{element}\"";

        int Digits(int count, string element, out string? error)
        {
            error = null;
            if (rest.Length < count || !rest[..count].All(char.IsAsciiDigit)) { error = Fail(element); return 0; }
            var value = int.Parse(rest[..count], CultureInfo.InvariantCulture);
            rest = rest[count..];
            return value;
        }
        bool Literal(char c)
        {
            if (rest.Length == 0 || rest[0] != c) return false;
            rest = rest[1..];
            return true;
        }

        var year = Digits(4, "2006", out var e); if (e is not null) return (null, e);
        if (!Literal('-')) return (null, Fail("-"));
        var month = Digits(2, "01", out e); if (e is not null) return (null, e);
        if (!Literal('-')) return (null, Fail("-"));
        var day = Digits(2, "02", out e); if (e is not null) return (null, e);
        if (!Literal('T')) return (null, Fail("T"));
        var hour = Digits(2, "15", out e); if (e is not null) return (null, e);
        if (!Literal(':')) return (null, Fail(":"));
        var minute = Digits(2, "04", out e); if (e is not null) return (null, e);
        if (!Literal(':')) return (null, Fail(":"));
        var second = Digits(2, "05", out e); if (e is not null) return (null, e);
        long ticks = 0;
        if (micro)
        {
            if (rest.Length < 7 || rest[0] != '.' || !rest[1..7].All(char.IsAsciiDigit)) return (null, Fail(".000000"));
            ticks = long.Parse(rest[1..7], CultureInfo.InvariantCulture) * 10;
            rest = rest[7..];
        }
        else if (rest.Length > 0 && rest[0] is '.' or ',')
        {
            var n = 1;
            while (n < rest.Length && char.IsAsciiDigit(rest[n])) n++;
            var fraction = rest[1..n];
            ticks = fraction.Length == 0 ? 0 : (long)(double.Parse("0." + fraction, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond);
            rest = rest[n..];
        }
        TimeSpan offset;
        if (Literal('Z')) offset = TimeSpan.Zero;
        else if (rest.Length >= 6 && rest[0] is '+' or '-' && rest[3] == ':' && rest[1..3].All(char.IsAsciiDigit) && rest[4..6].All(char.IsAsciiDigit))
        {
            offset = new TimeSpan(int.Parse(rest[1..3], CultureInfo.InvariantCulture), int.Parse(rest[4..6], CultureInfo.InvariantCulture), 0);
            if (rest[0] == '-') offset = -offset;
            rest = rest[6..];
        }
        else return (null, Fail("Z07:00"));
        if (rest.Length > 0) return (null, $"parsing time \"{text}\": extra text: \"{rest}\"");
        if (month is < 1 or > 12) return (null, $"parsing time \"{text}\": month out of range");
        if (day < 1 || day > DateTime.DaysInMonth(year, month)) return (null, $"parsing time \"{text}\": day out of range");
        if (hour > 23) return (null, $"parsing time \"{text}\": hour out of range");
        if (minute > 59) return (null, $"parsing time \"{text}\": minute out of range");
        if (second > 59) return (null, $"parsing time \"{text}\": second out of range");
        var utc = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(ticks).UtcDateTime;
        return micro
            ? (utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), null)
            : (utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), null);
    }
}
