namespace QuayIntegration.Operator.Controllers;

/// <summary>Times as the API server writes them (metav1.Time): UTC, to the second.</summary>
public static class KubeTime
{
    public static DateTime ToSecond(DateTime t)
    {
        var utc = t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t;
        return new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
    }

    public static DateTime ToSecond(DateTimeOffset t) => ToSecond(t.UtcDateTime);
}
