using System.Collections.Immutable;
using QuayIntegration.Emulators.Quay.Api;

namespace QuayIntegration.Emulators.Quay.Faults;

/// <summary>What the pipeline must do to a request before (or instead of) handling it.</summary>
/// <param name="BodyStall">Handle the request, then send half its answer and stall for this long before dropping the connection.</param>
/// <param name="AfterHandling">Handle the request, then send this answer instead of its own, after <paramref name="AfterHandlingDelay"/>.</param>
public readonly record struct FaultDecision(TimeSpan Delay, ApiResponse? Response, TimeSpan? Hang, bool Drop, TimeSpan? BodyStall = null,
    ApiResponse? AfterHandling = null, TimeSpan AfterHandlingDelay = default)
{
    public static readonly FaultDecision None = default;
    public bool IsNone => Delay == TimeSpan.Zero && Response is null && Hang is null && !Drop && BodyStall is null && AfterHandling is null;
}

/// <summary>
/// Run-time switchable faults. The rule list is an immutable snapshot swapped atomically, so the no-fault path costs
/// one volatile read and an empty loop.
/// </summary>
public sealed class FaultInjector
{
    private ImmutableList<(int Id, FaultRule Rule)> _rules = ImmutableList<(int, FaultRule)>.Empty;
    private int _nextId;

    public int Add(FaultRule rule)
    {
        var id = Interlocked.Increment(ref _nextId);
        ImmutableInterlocked.Update(ref _rules, rules => rules.Add((id, rule)));
        return id;
    }

    public bool Remove(int id)
    {
        var removed = false;
        ImmutableInterlocked.Update(ref _rules, rules =>
        {
            var index = rules.FindIndex(r => r.Id == id);
            removed = index >= 0;
            return removed ? rules.RemoveAt(index) : rules;
        });
        return removed;
    }

    public void Clear() => _rules = ImmutableList<(int, FaultRule)>.Empty;

    public IReadOnlyList<(int Id, FaultRule Rule)> Rules => _rules;

    public FaultDecision Decide(string method, string route, string? path = null, string? authorization = null)
    {
        var rules = _rules;
        if (rules.IsEmpty) return FaultDecision.None;
        var now = DateTimeOffset.UtcNow;
        var delay = TimeSpan.Zero;
        TimeSpan? bodyStall = null;
        ApiResponse? afterHandling = null;
        var afterHandlingDelay = TimeSpan.Zero;
        foreach (var (_, rule) in rules)
        {
            if (!rule.Matches(method, route, path, authorization)) continue;
            // Counted for every rule, so TimesMatched says what it says of one without a limit too.
            var used = Interlocked.Increment(ref rule.Used);
            if (rule.Times is { } times && used > times) continue;

            // Latency comes first, so a rule can describe a slow error as well as a slow success.
            var latency = rule.LatencyMaxMs > rule.LatencyMs ? Random.Shared.Next(rule.LatencyMs, rule.LatencyMaxMs + 1) : rule.LatencyMs;
            delay += TimeSpan.FromMilliseconds(latency);

            if (rule.OutageUntil is { } until && now < until && (rule.OutageFrom is null || now >= rule.OutageFrom))
                return rule.OutageStatus == 0 ? new(delay, null, null, true) : new(delay, StatusResponse(rule.OutageStatus, null), null, false);
            if (Chance(rule.DropRate)) return new(delay, null, null, true);
            if (Chance(rule.HangRate)) return new(delay, null, TimeSpan.FromMilliseconds(rule.HangMs), false);
            if (Chance(rule.RateLimitRate)) return new(delay, StatusResponse(429, rule.RetryAfterSeconds), null, false);
            if (Chance(rule.ErrorRate) && rule.ErrorStatuses.Length > 0)
                return new(delay, StatusResponse(rule.ErrorStatuses[Random.Shared.Next(rule.ErrorStatuses.Length)], null), null, false);
            if (bodyStall is null && Chance(rule.BodyStallRate)) bodyStall = TimeSpan.FromMilliseconds(rule.HangMs);
            if (afterHandling is null && Chance(rule.TimeoutAfterHandlingRate))
                (afterHandling, afterHandlingDelay) = (StatusResponse(504, null), TimeSpan.FromMilliseconds(rule.HangMs));
        }
        return new(delay, null, null, false, bodyStall, afterHandling, afterHandlingDelay);
    }

    private static bool Chance(double rate) => rate > 0 && (rate >= 1 || Random.Shared.NextDouble() < rate);

    /// <summary>What the client would see: Quay's own 500 page, or nginx's pages for 429 and gateway errors.</summary>
    private static ApiResponse StatusResponse(int status, int? retryAfterSeconds)
    {
        if (status == 500) return ApiResponse.Text(500, "text/html; charset=utf-8", HtmlPages.InternalServerError);
        var reason = status switch
        {
            429 => "Too Many Requests",
            502 => "Bad Gateway",
            503 => "Service Temporarily Unavailable",
            504 => "Gateway Time-out",
            _ => "Error",
        };
        var response = ApiResponse.Raw(status, "text/html", HtmlPages.NginxBytes(status, reason));
        return retryAfterSeconds is { } seconds ? response.WithHeader("Retry-After", seconds.ToString()) : response;
    }
}
