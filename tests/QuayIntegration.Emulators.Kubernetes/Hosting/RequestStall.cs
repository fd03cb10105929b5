namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>
/// A stall of the requests that match it (all given criteria; an omitted one matches anything): they are accounted and
/// then held, before any injected status and before they touch storage, until <see cref="Release"/> (a hang) or for
/// <see cref="Duration"/> (a delay). Matching by <see cref="User"/> stalls one client while every other client's
/// identical requests go through, as a connection of one replica that stops answering would.
/// </summary>
public sealed class RequestStall
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    /// <summary>Plural (<c>leases</c>) or <c>plural.group</c> (<c>leases.coordination.k8s.io</c>).</summary>
    public string? Resource { get; init; }
    /// <summary>The Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection.</summary>
    public string? Verb { get; init; }
    /// <summary>The namespace of a namespaced request; a cluster-scoped request never matches a namespace.</summary>
    public string? Namespace { get; init; }
    /// <summary>The name of the object the request is about (none for lists, watches and creates of a collection).</summary>
    public string? Name { get; init; }
    /// <summary>The authenticated user name (see <see cref="ApiServerOptions.Users"/>), e.g. <c>system:admin</c>.</summary>
    public string? User { get; init; }
    /// <summary>How long each matching request is held; null holds it until <see cref="Release"/>.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How many requests this stall has caught so far (those released or aborted included).</summary>
    public int Held => Volatile.Read(ref _held);

    public bool IsReleased => _released.Task.IsCompleted;

    /// <summary>Lets every held request go on and stops matching new ones.</summary>
    public void Release() => _released.TrySetResult();

    internal bool Matches(Func<string, bool> resourceMatches, string verb, string? ns, string? name, string user) =>
        !IsReleased
        && (Resource is null || resourceMatches(Resource))
        && (Verb is null || Verb == verb)
        && (Namespace is null || Namespace == ns)
        && (Name is null || Name == name)
        && (User is null || User == user);

    /// <summary>Holds one request until released, its duration passes, or <paramref name="ct"/> (client seen gone, server stopping).</summary>
    internal async Task HoldAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _held);
        var released = _released.Task.WaitAsync(ct);
        if (Duration is { } duration) await Task.WhenAny(released, Task.Delay(duration, ct));
        else await released;
        ct.ThrowIfCancellationRequested();
    }
}
