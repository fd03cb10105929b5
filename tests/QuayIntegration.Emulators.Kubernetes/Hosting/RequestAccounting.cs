using System.Collections.Concurrent;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>
/// One served resource request as RBAC sees it: who, the Kubernetes verb (get, list, watch, create, update, patch, delete,
/// deletecollection), the API group ("" for core), the plural, the subresource, the namespace (null: cluster scope) and the
/// object name (null for list, watch of a collection, create and deletecollection), which RBAC's resourceNames match.
/// </summary>
public sealed record RecordedRequest(string User, string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name = null)
{
    /// <summary><c>plural</c> or <c>plural/subresource</c>, as RBAC rules name it.</summary>
    public string ResourcePath => Subresource is null ? Resource : $"{Resource}/{Subresource}";
}

/// <summary>A request RBAC refused (403), with the message the client got.</summary>
public sealed record DeniedRequest(string User, string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name, string Path, string Message);

/// <summary>A resource request and when it arrived (authenticated, before any injected fault held or failed it).</summary>
public sealed record TimedRequest(DateTimeOffset At, RecordedRequest Request);

/// <summary>
/// Counts of served resource requests by verb and resource (<c>plural</c> or <c>plural/subresource</c>), and per user;
/// on demand, every request in order of arrival with its time; and every request that authorization refused
/// (<see cref="Denials"/>), which are not counted as served.
/// </summary>
public sealed class RequestAccounting
{
    private readonly ConcurrentDictionary<(string Verb, string Resource), int> _counts = new();
    private readonly ConcurrentDictionary<RecordedRequest, int> _byRequest = new();
    private readonly ConcurrentQueue<DeniedRequest> _denials = new();
    private readonly ConcurrentQueue<TimedRequest> _timeline = new();
    private readonly ConcurrentDictionary<(string User, string Protocol), int> _protocols = new();
    private readonly ConcurrentDictionary<RecordedRequest, int> _admissionChecks = new();

    /// <summary>
    /// An authorization an admission plugin asked of the requesting user on top of the request's own (OpenShift's
    /// BuildByStrategy: "create builds/&lt;strategy&gt;" on every write of a Build): a use of that user's rights as real as
    /// a request, though no request names it. Kept apart from the requests, which it does not count as.
    /// </summary>
    internal void RecordAdmissionCheck(RecordedRequest check) => _admissionChecks.AddOrUpdate(check, 1, (_, n) => n + 1);

    /// <summary>The authorizations admission asked of <paramref name="username"/>, with how many times each.</summary>
    public IReadOnlyDictionary<RecordedRequest, int> AdmissionChecksBy(string username) =>
        _admissionChecks.Where(p => p.Key.User == username).ToDictionary(p => p.Key, p => p.Value);

    /// <summary>The HTTP versions (<c>HTTP/1.1</c>, <c>HTTP/2</c>) <paramref name="username"/>'s resource requests came in, with how many each.</summary>
    public IReadOnlyDictionary<string, int> ProtocolsOf(string username) =>
        _protocols.Where(p => p.Key.User == username).ToDictionary(p => p.Key.Protocol, p => p.Value);

    internal void RecordDenial(DeniedRequest denial) => _denials.Enqueue(denial);

    /// <summary>Every refused request so far, oldest first.</summary>
    public IReadOnlyList<DeniedRequest> Denials() => _denials.ToArray();

    /// <summary>The refused requests of one user.</summary>
    public IReadOnlyList<DeniedRequest> DenialsOf(string username) => _denials.Where(d => d.User == username).ToList();

    /// <summary>
    /// Keep every request from now on with its arrival time (<see cref="Timeline"/>), to tell what a client did before
    /// and after a moment. Off by default: a long run would hold every request it made.
    /// </summary>
    public bool KeepTimeline { get; set; }

    internal void Record(string verb, string resource) => _counts.AddOrUpdate((verb, resource), 1, (_, n) => n + 1);

    /// <param name="protocol">The HTTP version it came in (<c>HTTP/1.1</c>, <c>HTTP/2</c>).</param>
    internal void Record(RecordedRequest request, string protocol)
    {
        Record(request.Verb, request.ResourcePath);
        _protocols.AddOrUpdate((request.User, protocol), 1, (_, n) => n + 1);
        _byRequest.AddOrUpdate(request, 1, (_, n) => n + 1);
        if (KeepTimeline) _timeline.Enqueue(new TimedRequest(DateTimeOffset.UtcNow, request));
    }

    /// <summary>The requests kept since <see cref="KeepTimeline"/> was switched on, in order of arrival.</summary>
    public IReadOnlyList<TimedRequest> Timeline() => [.. _timeline];

    public int Count(string verb, string resource) => _counts.TryGetValue((verb, resource), out var n) ? n : 0;

    public int Total => _counts.Values.Sum();

    public IReadOnlyDictionary<(string Verb, string Resource), int> Snapshot() => new Dictionary<(string, string), int>(_counts);

    /// <summary>Every distinct request made so far (any user) with how many times it was served.</summary>
    public IReadOnlyDictionary<RecordedRequest, int> Requests() => new Dictionary<RecordedRequest, int>(_byRequest);

    /// <summary>The distinct requests made by <paramref name="username"/> with how many times each was served.</summary>
    public IReadOnlyDictionary<RecordedRequest, int> ByUser(string username) =>
        _byRequest.Where(p => p.Key.User == username).ToDictionary(p => p.Key, p => p.Value);

    public void Reset()
    {
        _counts.Clear();
        _byRequest.Clear();
        _denials.Clear();
        _timeline.Clear();
        _protocols.Clear();
        _admissionChecks.Clear();
    }
}
