using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime;

/// <summary>Receives cache changes; called on the informer's loop, so implementations only enqueue.</summary>
public interface IInformerHandler<in T>
{
    void OnAdd(T obj);
    void OnUpdate(T oldObj, T newObj);
    void OnDelete(T obj);
}

/// <summary>What an informer watches: the kind plus optional label and field selectors, in one namespace or all.</summary>
/// <param name="Optional">
/// The kind may not be served (for example ImageStreams on a cluster without OpenShift APIs): a 404 on list counts as an
/// empty, synced cache instead of blocking start-up, and the informer keeps retrying with backoff.
/// </param>
/// <param name="Namespace">Only this namespace (its collection URL, so only namespaced list and watch rights are needed).</param>
public sealed record InformerSpec(ResourceType Resource, string? LabelSelector = null, string? FieldSelector = null, bool Optional = false,
    string? Namespace = null)
{
    public string? Query
    {
        get
        {
            var parts = new List<string>();
            if (!string.IsNullOrEmpty(LabelSelector)) parts.Add("labelSelector=" + Uri.EscapeDataString(LabelSelector));
            if (!string.IsNullOrEmpty(FieldSelector)) parts.Add("fieldSelector=" + Uri.EscapeDataString(FieldSelector));
            return parts.Count == 0 ? null : string.Join('&', parts);
        }
    }
}

public interface IInformer
{
    /// <summary>The resource it lists and watches (its plural).</summary>
    string Resource { get; }
    bool HasSynced { get; }
    /// <summary>
    /// How long its lists and watches have failed with no success in between (null while they work): for that long the
    /// cache has not followed the cluster.
    /// </summary>
    TimeSpan? FailingFor { get; }
    Task RunAsync(CancellationToken ct);
}

/// <summary>
/// List + watch into an in-memory cache, client-go style: list, then watch from the list's resourceVersion; follow
/// the resourceVersion through events and bookmarks; re-watch when the server ends the stream; watch again from the
/// same resourceVersion, after a backoff, when the server turns the watch away (429, connection refused); relist on 410
/// Gone or any other broken stream (with capped backoff); replay every object to handlers each resync period. The list is streamed
/// (optionally in pages) and every object is made into what the cache keeps by <see cref="Project"/> as soon as it
/// arrives: the same model, trimmed (<see cref="Informer{T}"/>), or a smaller type of the cache's own
/// (<see cref="CachedObject"/>). The cache is held by namespace, then by name (<see cref="ObjectStore{T}"/>).
/// </summary>
/// <typeparam name="TWire">The model objects are decoded into from the API server's JSON.</typeparam>
/// <typeparam name="T">What the cache keeps of each object and hands to its readers and handlers.</typeparam>
public class Informer<TWire, T> : IInformer where TWire : class, IKubernetesObject<V1ObjectMeta> where T : class
{
    private readonly KubeApi _api;
    private readonly InformerSpec _spec;
    private readonly TimeSpan _resync;
    private readonly ILogger _log;
    private readonly ObjectIdentity<T> _identity;
    private readonly ObjectStore<T> _items;
    private readonly List<IInformerHandler<T>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _dispatch = new();

    public Informer(KubeApi api, InformerSpec spec, TimeSpan resync, ILogger log, Func<TWire, T> project, ObjectIdentity<T> identity)
    {
        _api = api;
        _spec = spec;
        _resync = resync;
        _log = log;
        _identity = identity;
        _items = new(identity);
        Project = project;
    }

    /// <summary>How long a watch request lasts before the informer re-watches (the server may end it sooner).</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Items per LIST request (client-go's pager uses 500); null (the default) lists everything in one request. Items
    /// are trimmed and cached as they arrive either way, so paging does not lower the operator's memory; it keeps each
    /// request short (the request timeout covers a whole page) and spares a large API server one long read. The
    /// operator's <c>ListPageSize</c> option sets it. It is off by default because the emulated API server, which copies
    /// the whole collection for every page, took 12 s instead of 3 s to serve the pages of N=5000.
    /// </summary>
    public int? ListPageSize { get; init; }

    /// <summary>
    /// Makes every object from the API server into what the cache keeps, before it is cached or handed to handlers, so
    /// the cache keeps only what its readers need (see <see cref="CacheTransforms"/>). It may change the object it is
    /// given, which was just decoded and is not shared.
    /// </summary>
    protected Func<TWire, T> Project { get; init; }

    /// <summary>
    /// Called with the cached version an update replaces and the new one (not yet shared, so it may be changed): lets
    /// the new version take the old one's instances of what did not change (<see cref="CacheTransforms.KeepUnchanged{T}"/>).
    /// </summary>
    public Action<T, T>? KeepUnchanged { get; init; }

    public bool HasSynced => _synced.Task.IsCompleted;

    private volatile bool _notServed;

    /// <summary>
    /// False while the cluster answers that it does not serve the kind (an optional kind's 404: a plain Kubernetes
    /// cluster, or an aggregated API not registered yet): the cache is then empty for want of an answer, not because
    /// nothing exists, and an empty cache proves no object's absence. True once a list succeeded.
    /// </summary>
    public bool IsServed => !_notServed;

    public string Resource => _spec.Resource.Plural;

    /// <summary>When the current run of failures started (a Stopwatch timestamp), 0 while lists and watches work.</summary>
    private long _failingSince;

    public TimeSpan? FailingFor => Volatile.Read(ref _failingSince) is var since and not 0 ? Stopwatch.GetElapsedTime(since) : null;

    public Task WaitForSyncAsync(CancellationToken ct) => _synced.Task.WaitAsync(ct);

    public void AddHandler(IInformerHandler<T> handler)
    {
        lock (_dispatch) _handlers.Add(handler);
    }

    public T? Get(ObjectKey key) => _items.Get(key);

    private long _listsStarted;
    private long _lastCompleteList;

    /// <summary>How many relists have started (each LIST is a fresh read of everything, with no resourceVersion).</summary>
    public long ListsStarted => Volatile.Read(ref _listsStarted);

    /// <summary>
    /// The number (in <see cref="ListsStarted"/>' count) of the last relist that completed: the cache holds at least
    /// everything the API server had when that list started.
    /// </summary>
    public long LastCompleteList => Volatile.Read(ref _lastCompleteList);

    /// <summary>How the cache files and versions what it keeps.</summary>
    public ObjectIdentity<T> Identity => _identity;

    /// <summary>An object from the API server made into what the cache keeps (it may change <paramref name="obj"/>).</summary>
    public T ToCached(TWire obj) => Project(obj);

    public T? Get(string? ns, string name) => Get(new ObjectKey(ns, name));

    public IReadOnlyList<T> List() => _items.All().ToList();

    public IReadOnlyList<T> ListInNamespace(string ns) => _items.InNamespace(ns);

    public async Task RunAsync(CancellationToken ct)
    {
        using var resync = _resync > TimeSpan.Zero ? new PeriodicTimer(_resync) : null;
        var resyncLoop = resync is null ? Task.CompletedTask : ResyncLoop(resync, ct);
        var failures = 0;
        // The backoff of a failing list or watch: doubles with each failure in a row, reset by a watch that ran its course.
        TimeSpan NextRetry() => Backoff.Delay(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), failures++);
        // Whether a watch ran its course since the last list: a resourceVersion gone before any did was compacted away
        // while the list was read (a long list of a kind that changes fast), and listing again at once would loop on it.
        var watched = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var rv = await RelistAsync(ct);
                watched = false;
                Volatile.Write(ref _failingSince, 0);
                while (!ct.IsCancellationRequested)
                {
                    var started = Stopwatch.GetTimestamp();
                    string next;
                    try
                    {
                        next = await WatchOnceAsync(rv, ct);
                    }
                    catch (Exception e) when (IsTurnedAway(e) && !ct.IsCancellationRequested)
                    {
                        // Turned away (429: the server sheds load, or its watch cache is still filling after a restart)
                        // or refused at connect: asked again from where it was after a backoff, as client-go's reflector
                        // does. A relist now would send the costliest request there is at the worst moment.
                        Interlocked.CompareExchange(ref _failingSince, Stopwatch.GetTimestamp(), 0);
                        var delay = NextRetry();
                        _log.WatchTurnedAway(_spec.Resource.Plural, e.Message, delay);
                        await Task.Delay(delay, ct);
                        continue;
                    }
                    // A watch that ended at once having carried nothing (a proxy closing it, a server shedding it) proves
                    // nothing: asked again at once, it would loop as fast as the server answers. It waits a backoff first.
                    if (next == rv && Stopwatch.GetElapsedTime(started) < ShortWatch)
                    {
                        await Task.Delay(NextRetry(), ct);
                        continue;
                    }
                    rv = next;
                    // Only a watch that ran to its end proves the connection healthy; resetting after a mere list
                    // would turn a watch that always fails into a tight list/watch loop.
                    failures = 0;
                    watched = true;
                    Volatile.Write(ref _failingSince, 0);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (KubeApiException e) when (e.IsNotFound && _spec.Optional)
            {
                // A kind the cluster does not serve is an answer, not a failure.
                _notServed = true;
                Volatile.Write(ref _failingSince, 0);
                _synced.TrySetResult();
                var delay = Backoff.Delay(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), failures++);
                _log.KindNotServed(_spec.Resource.Plural, delay);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { break; }
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                _log.WatchExpired(_spec.Resource.Plural, e.ApiMessage);
                // Relisted at once after a watch that ran (client-go's reflector does too); after none, a backoff first.
                if (!watched)
                    try { await Task.Delay(NextRetry(), ct); } catch (OperationCanceledException) { break; }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failingSince, Stopwatch.GetTimestamp(), 0);
                var delay = NextRetry();
                _log.ListWatchFailed(_spec.Resource.Plural, e.Message, delay);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { break; }
            }
        }
        await resyncLoop;
    }

    /// <summary>A watch shorter than this that carried nothing counts as turned away (client-go's reflector uses 1 s too).</summary>
    private static readonly TimeSpan ShortWatch = TimeSpan.FromSeconds(1);

    /// <summary>A watch the server turned away without saying the resourceVersion is gone: worth asking again as it was.</summary>
    private static bool IsTurnedAway(Exception e)
    {
        if (e is KubeApiException { Status: System.Net.HttpStatusCode.TooManyRequests }) return true;
        for (var x = e; x is not null; x = x.InnerException)
            if (x is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused }) return true;
        return false;
    }

    private async Task<string> RelistAsync(CancellationToken ct)
    {
        var seen = new HashSet<ObjectKey>();
        var started = Stopwatch.GetTimestamp();
        var sequence = Interlocked.Increment(ref _listsStarted);
        string resourceVersion;
        try
        {
            resourceVersion = await ListPagesAsync(ListPageSize, seen, ct);
        }
        catch (KubeApiException e) when (e.IsGone && ListPageSize is not null)
        {
            // The continue token expired (the server compacted its history between pages). As client-go's pager
            // does, fall back to one unpaged list: restarting the pages could expire again on a busy cluster.
            _log.PagedListExpired(_spec.Resource.Plural, e.ApiMessage);
            // The pages read so far are of an older revision: an object they listed may have been deleted since, and the
            // watch starts after this list, so no event would ever say so. Only what this list holds stays.
            seen.Clear();
            resourceVersion = await ListPagesAsync(null, seen, ct);
        }
        foreach (var gone in _items.All().Where(o => !seen.Contains(_identity.KeyOf(o))).ToList())
            Remove(gone);
        _notServed = false;
        Volatile.Write(ref _lastCompleteList, sequence);
        _log.Listed(seen.Count, _spec.Resource.Plural, Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 3));
        _synced.TrySetResult();
        return resourceVersion;
    }

    /// <summary>Lists every page into the cache, recording the keys seen; returns the list's resourceVersion.</summary>
    private async Task<string> ListPagesAsync(int? pageSize, HashSet<ObjectKey> seen, CancellationToken ct)
    {
        string? next = null;
        while (true)
        {
            // Each item is trimmed and cached as it arrives, so the untrimmed list never exists as a whole.
            var page = await _api.ListPageAsync<TWire>(_spec.Resource.CollectionPath(_spec.Namespace), _spec.Query, pageSize, next, item =>
            {
                var kept = Project(item);
                seen.Add(_identity.KeyOf(kept));
                Upsert(kept);
            }, ct);
            // Every page is served at the first page's resourceVersion, which the watch continues from.
            if (page.Continue is null) return page.ResourceVersion;
            next = page.Continue;
        }
    }

    /// <summary>One watch request; returns the last resourceVersion seen so the next watch continues from it.</summary>
    private async Task<string> WatchOnceAsync(string rv, CancellationToken ct)
    {
        await foreach (var e in _api.WatchAsync<TWire>(_spec.Resource.CollectionPath(_spec.Namespace), _spec.Query, rv, WatchTimeout, ct))
        {
            if (e.ResourceVersion is { Length: > 0 } next) rv = next;
            switch (e.Kind)
            {
                case WatchEventKind.Added or WatchEventKind.Modified:
                    Upsert(Project(e.Object!));
                    break;
                case WatchEventKind.Deleted:
                    // Handlers get the cached copy when there is one (the deleted object's last state is only projected
                    // for one the cache never held). The model's key is the cached object's: projections keep both.
                    var known = _items.Remove(ObjectKey.Of(e.Object!));
                    Deleted(known ?? Project(e.Object!));
                    break;
            }
        }
        return rv;
    }

    private void Upsert(T obj)
    {
        var old = _items.Get(_identity.KeyOf(obj));
        if (old is not null)
        {
            if (_identity.VersionOf(old) == _identity.VersionOf(obj)) return;
            KeepUnchanged?.Invoke(old, obj);
        }
        _items.Set(obj);
        lock (_dispatch)
            foreach (var h in _handlers)
                Safe(() => { if (old is null) h.OnAdd(obj); else h.OnUpdate(old, obj); });
    }

    private void Remove(T obj) => Deleted(_items.Remove(_identity.KeyOf(obj)) ?? obj);

    private void Deleted(T known)
    {
        lock (_dispatch)
            foreach (var h in _handlers)
                Safe(() => h.OnDelete(known));
    }

    private async Task ResyncLoop(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                lock (_dispatch)
                    foreach (var item in _items.All())
                        foreach (var h in _handlers)
                            Safe(() => h.OnUpdate(item, item));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Safe(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            _log.HandlerFailed(e, _spec.Resource.Plural);
        }
    }
}

/// <summary>
/// An informer that caches the model it decodes, trimmed by <see cref="Transform"/> (by default of the bookkeeping no
/// reader needs), and lets each new version of an object take the previous version's instances of what did not change.
/// </summary>
public sealed class Informer<T> : Informer<T, T> where T : class, IKubernetesObject<V1ObjectMeta>
{
    public Informer(KubeApi api, InformerSpec spec, TimeSpan resync, ILogger log)
        : base(api, spec, resync, log, CacheTransforms.StripBookkeeping, ObjectIdentity.Kubernetes<T>())
    {
        KeepUnchanged = CacheTransforms.KeepUnchanged;
    }

    /// <summary>
    /// Applied to every object from the API server before it is cached or handed to handlers, so the cache keeps
    /// only what its readers need (see <see cref="CacheTransforms"/>).
    /// </summary>
    public Func<T, T> Transform { get => Project; init => Project = value; }
}
