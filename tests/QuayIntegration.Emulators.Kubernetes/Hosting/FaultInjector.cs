using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Storage;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>
/// Test-controlled misbehaviour: canned error answers, expired watches, dropped watch connections, latency and stalls, for
/// all resources or one (matched by plural, e.g. <c>builds</c>, or <c>plural.group</c>).
/// </summary>
public sealed class FaultInjector
{
    private sealed class Rule(int code, int remaining, string? resource, string? verb, string? user = null, Action? taken = null)
    {
        public Action? Taken { get; } = taken;
        public int Code { get; } = code;
        public int Remaining = remaining;
        public string? Resource { get; } = resource;
        public string? Verb { get; } = verb;
        public string? User { get; } = user;
    }

    private readonly Lock _gate = new();
    private readonly List<Rule> _statusRules = [];
    private readonly List<Rule> _watchExpiries = [];
    private readonly List<Rule> _continueExpiries = [];
    private int _continuesExpired;
    private readonly Dictionary<string, TimeSpan> _latencyByResource = new();
    private readonly Dictionary<string, TimeSpan> _watchLagByResource = new();
    private readonly List<RequestStall> _stalls = [];
    private ObjectStore? _store;
    private ResourceTypeRegistry? _registry;

    internal void Attach(ObjectStore store, ResourceTypeRegistry registry) => (_store, _registry) = (store, registry);

    /// <summary>Latency added to every resource request.</summary>
    public TimeSpan Latency { get; set; }

    public void SetLatency(string resource, TimeSpan latency)
    {
        lock (_gate) _latencyByResource[resource] = latency;
    }

    /// <summary>
    /// Watch events of <paramref name="resource"/> reach every open watch <paramref name="lag"/> after their change was
    /// committed, still in order, as from an API server whose watch cache is behind etcd: a client that reads its cache
    /// right after a write sees the object as it was before (zero: no lag).
    /// </summary>
    public void SetWatchLag(string resource, TimeSpan lag)
    {
        if (lag < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lag), lag, "a watch lag cannot be negative");
        lock (_gate) _watchLagByResource[resource] = lag;
    }

    /// <summary>
    /// The next <paramref name="count"/> matching requests answer with this code (409 Conflict, 429, 500, …); with
    /// <paramref name="user"/>, only that user's (the cluster's own controllers write too).
    /// </summary>
    public void InjectStatus(int code, int count = 1, string? resource = null, string? verb = null, string? user = null)
    {
        lock (_gate) _statusRules.Add(new Rule(code, count, resource, verb, user));
    }

    /// <summary>How many injected status answers are still to be given: a test can tell that its fault was met.</summary>
    public int PendingStatuses
    {
        get
        {
            lock (_gate) return _statusRules.Sum(r => Math.Max(r.Remaining, 0));
        }
    }

    /// <summary>
    /// From now until <see cref="RequestStall.Release"/>, holds every request that matches all the given criteria
    /// (<paramref name="user"/>: the authenticated user name): for <paramref name="duration"/> each, or, when null,
    /// until released. A held request whose client gave up may still be carried out when released (Kestrel notices a
    /// closed HTTP/1.1 connection only once it reads from it), as a real API server may finish a write whose client
    /// timed out: its resourceVersion is what keeps a stale write from landing.
    /// </summary>
    public RequestStall Stall(string? resource = null, string? verb = null, string? ns = null, string? user = null, TimeSpan? duration = null, string? name = null)
    {
        if (duration is { } d && d <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), d, "a stall's duration must be positive (null: until released)");
        var stall = new RequestStall { Resource = resource, Verb = verb, Namespace = ns, Name = name, User = user, Duration = duration };
        lock (_gate) _stalls.Add(stall);
        return stall;
    }

    /// <summary>The next <paramref name="count"/> watches get a 410 Expired ERROR event, as after an etcd compaction.</summary>
    public void ExpireNextWatches(int count = 1, string? resource = null)
    {
        lock (_gate) _watchExpiries.Add(new Rule(410, count, resource, "watch"));
    }

    /// <summary>
    /// The next <paramref name="count"/> list requests carrying a <c>continue</c> token answer 410 Expired with
    /// Kubernetes' words, as when etcd compacted the revision the paged list started at. <paramref name="meanwhile"/>
    /// runs before each such answer: what changed between the pages, which the list that follows must reflect.
    /// </summary>
    public void ExpireContinueTokens(int count = 1, string? resource = null, Action? meanwhile = null)
    {
        lock (_gate) _continueExpiries.Add(new Rule(410, count, resource, "list", taken: meanwhile));
    }

    /// <summary>How many continue tokens <see cref="ExpireContinueTokens"/> refused so far.</summary>
    public int ContinueTokensExpired => Volatile.Read(ref _continuesExpired);

    /// <summary>Closes every open watch connection (of one resource, or all), as a load balancer timeout would.</summary>
    public int DropWatches(string? resource = null)
    {
        var store = _store ?? throw new InvalidOperationException("not started");
        if (resource is null) return store.DropWatches();
        return _registry!.All.Where(t => Matches(resource, t)).Select(t => t.StorageKey).Distinct().Sum(store.DropWatches);
    }

    /// <summary>Forgets the watch history so every resume from an older resourceVersion expires.</summary>
    public void CompactHistory() => (_store ?? throw new InvalidOperationException("not started")).Compact();

    public void Reset()
    {
        lock (_gate)
        {
            foreach (var stall in _stalls) stall.Release();
            _stalls.Clear();
            _statusRules.Clear();
            _watchExpiries.Clear();
            _continueExpiries.Clear();
            _latencyByResource.Clear();
            _watchLagByResource.Clear();
        }
        Latency = TimeSpan.Zero;
    }

    internal TimeSpan LatencyFor(ResourceType type)
    {
        lock (_gate)
            return Latency + _latencyByResource.Where(p => Matches(p.Key, type)).Select(p => p.Value).DefaultIfEmpty().Max();
    }

    internal TimeSpan WatchLagFor(ResourceType type)
    {
        lock (_gate)
            return _watchLagByResource.Where(p => Matches(p.Key, type)).Select(p => p.Value).DefaultIfEmpty().Max();
    }

    /// <summary>Holds the request while a matching stall is in force (the first matching stall decides how long).</summary>
    internal Task StallAsync(ResourceType type, string verb, string? ns, string? name, string user, CancellationToken ct)
    {
        RequestStall? stall;
        lock (_gate)
        {
            _stalls.RemoveAll(s => s.IsReleased);
            stall = _stalls.FirstOrDefault(s => s.Matches(resource => Matches(resource, type), verb, ns, name, user));
        }
        return stall?.HoldAsync(ct) ?? Task.CompletedTask;
    }

    internal ApiException? TakeStatus(ResourceType type, string verb, string user)
    {
        int code;
        lock (_gate)
        {
            var rule = _statusRules.FirstOrDefault(r => r.Remaining > 0 && (r.Resource is null || Matches(r.Resource, type)) && (r.Verb is null || r.Verb == verb)
                                                        && (r.User is null || r.User == user));
            if (rule is null) return null;
            rule.Remaining--;
            code = rule.Code;
        }
        return code switch
        {
            409 => type.Conflict("injected"),
            429 => Errors.TooManyRequests(),
            500 => Errors.Internal("injected fault"),
            503 => new ApiException(503, "ServiceUnavailable", "the server is currently unable to handle the request"),
            _ => new ApiException(code, "InternalError", $"injected fault {code}"),
        };
    }

    internal bool TakeWatchExpiry(ResourceType type)
    {
        lock (_gate)
        {
            var rule = _watchExpiries.FirstOrDefault(r => r.Remaining > 0 && (r.Resource is null || Matches(r.Resource, type)));
            if (rule is null) return false;
            rule.Remaining--;
            return true;
        }
    }

    internal bool TakeContinueExpiry(ResourceType type)
    {
        Rule? rule;
        lock (_gate)
        {
            rule = _continueExpiries.FirstOrDefault(r => r.Remaining > 0 && (r.Resource is null || Matches(r.Resource, type)));
            if (rule is null) return false;
            rule.Remaining--;
        }
        rule.Taken?.Invoke();
        Interlocked.Increment(ref _continuesExpired);
        return true;
    }

    private static bool Matches(string resource, ResourceType type) => resource == type.Plural || resource == type.QualifiedResource;
}
