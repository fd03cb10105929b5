namespace QuayIntegration.Emulators.Quay.Faults;

/// <summary>
/// One fault to inject, for every route (<see cref="Route"/> null) or for one route template such as
/// <c>/api/v1/organization/{orgname}/robots/{robot_shortname}</c>, optionally for one method. All effects of a rule
/// are drawn independently per request: the latency is added first, then the first of outage, dropped connection,
/// hang, 429 and error status that applies replaces the answer.
/// Serialised as camelCase JSON for the HTTP control endpoint.
/// </summary>
public sealed class FaultRule
{
    /// <summary>Route template to match exactly; null matches every Quay API and registry route.</summary>
    public string? Route { get; set; }

    /// <summary>HTTP method to match (GET, PUT…); null matches all.</summary>
    public string? Method { get; set; }

    /// <summary>Text the concrete request path must contain (one robot, one repository); null matches every path.</summary>
    public string? PathContains { get; set; }

    /// <summary>
    /// The bearer token the request must carry (one client's calls, as nginx's per-client rate limit sees them); null
    /// matches every request, with a token or without.
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>Added delay before answering. With <see cref="LatencyMaxMs"/> above it, uniformly random in between.</summary>
    public int LatencyMs { get; set; }
    public int LatencyMaxMs { get; set; }

    /// <summary>Share (0..1) of requests answered with one of <see cref="ErrorStatuses"/> (500 is Quay's HTML error page, 502/503 nginx's).</summary>
    public double ErrorRate { get; set; }
    public int[] ErrorStatuses { get; set; } = [500, 502, 503];

    /// <summary>Share of requests answered 429 by the nginx front (HTML), with Retry-After when <see cref="RetryAfterSeconds"/> is set.</summary>
    public double RateLimitRate { get; set; }
    public int? RetryAfterSeconds { get; set; }

    /// <summary>Share of requests that hang for <see cref="HangMs"/> (or until the client gives up), then lose their connection.</summary>
    public double HangRate { get; set; }
    public int HangMs { get; set; } = 300_000;

    /// <summary>
    /// Share of requests that are handled (their effect stays, as when a Quay worker dies after its commit) but whose
    /// answer stops half-way: the headers and the first half of the body are sent, then nothing for <see cref="HangMs"/>
    /// (or until the client gives up), then the connection is dropped.
    /// </summary>
    public double BodyStallRate { get; set; }

    /// <summary>
    /// Share of requests that are handled (their effect stays) and answered with nginx's 504 Gateway Time-out all the
    /// same, after <see cref="HangMs"/> (its proxy_read_timeout) or when the client gives up: the proxy gave up waiting
    /// on the Quay worker, which went on to commit. The client cannot tell it from a request that did nothing.
    /// </summary>
    public double TimeoutAfterHandlingRate { get; set; }

    /// <summary>Share of requests whose connection is aborted without an answer.</summary>
    public double DropRate { get; set; }

    /// <summary>
    /// Full outage window: every matching request inside it gets <see cref="OutageStatus"/> (0 = dropped connection).
    /// <see cref="OutageFrom"/> null means "from now".
    /// </summary>
    public DateTimeOffset? OutageFrom { get; set; }
    public DateTimeOffset? OutageUntil { get; set; }
    public int OutageStatus { get; set; } = 503;

    /// <summary>Only the next N matching requests are affected; null = unlimited.</summary>
    public int? Times { get; set; }

    internal int Used;

    /// <summary>How many requests have matched the rule so far (those past <see cref="Times"/> included).</summary>
    public int TimesMatched => Volatile.Read(ref Used);

    public bool Matches(string method, string route, string? path = null, string? authorization = null) =>
        (Route is null || Route == route) && (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathContains is null || (path?.Contains(PathContains, StringComparison.Ordinal) ?? false))
        && (BearerToken is null || string.Equals(authorization, "Bearer " + BearerToken, StringComparison.Ordinal));

    public static FaultRule Outage(TimeSpan duration, string? route = null, int status = 503) =>
        new() { Route = route, OutageFrom = DateTimeOffset.UtcNow, OutageUntil = DateTimeOffset.UtcNow + duration, OutageStatus = status };
}
