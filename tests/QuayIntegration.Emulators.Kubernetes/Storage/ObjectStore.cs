using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Storage;

/// <summary>
/// In-memory storage for every resource, with one global resourceVersion counter (as etcd's revision) and a bounded
/// history of events so watches can resume from a recent resourceVersion or be told it expired.
/// Callers read clones and commit with a resourceVersion precondition, like apiserver's GuaranteedUpdate.
/// </summary>
public sealed class ObjectStore(int historySize)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new();
    private readonly LinkedList<StoredEvent> _history = new();
    private readonly List<WatchSubscription> _subscriptions = [];
    private long _revision = 1;
    /// <summary>Oldest revision a watch may resume from; raised when history is trimmed or compacted.</summary>
    private long _compactedRevision = 1;

    public long CurrentRevision { get { lock (_gate) return _revision; } }

    /// <summary>Continue tokens older than retained history are expired, as after an etcd compaction.</summary>
    public long CompactedRevisionForContinue { get { lock (_gate) return _compactedRevision; } }

    private static string Key(string? ns, string name) => (ns ?? "") + "/" + name;

    private SortedDictionary<string, JsonObject> Bucket(string storageKey)
    {
        if (!_objects.TryGetValue(storageKey, out var bucket)) _objects[storageKey] = bucket = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        return bucket;
    }

    public JsonObject? Get(string storageKey, string? ns, string name)
    {
        lock (_gate) return Bucket(storageKey).TryGetValue(Key(ns, name), out var o) ? o.Clone() : null;
    }

    /// <summary>Copies of all objects of a resource (optionally one namespace), ordered by namespace/name, with the revision they were read at.</summary>
    public (List<JsonObject> Items, long Revision) List(string storageKey, string? ns)
    {
        var (items, revision) = Snapshot(storageKey, ns);
        return (items.ConvertAll(o => o.Clone()), revision);
    }

    /// <summary>
    /// The stored objects of a resource (optionally one namespace), ordered by namespace/name, without copies. Stored
    /// objects are never changed in place (every write stores a new one), so a reader may look at them outside the
    /// lock, and copies only what it changes or hands on. Readers at the same time are safe: System.Text.Json
    /// publishes a JsonObject's lazily built properties behind a memory barrier for them. A LIST reads this way: the
    /// real API server serves lists from its watch cache without stopping writers or other readers, and copying every
    /// object of a kind under the one lock made each list as slow as the largest one served at the same time.
    /// </summary>
    public (List<JsonObject> Items, long Revision) Snapshot(string storageKey, string? ns)
    {
        lock (_gate) return (StoredIn(storageKey, ns).ToList(), _revision);
    }

    /// <summary>The stored objects of a resource, of one namespace or all; called under the lock.</summary>
    private IEnumerable<JsonObject> StoredIn(string storageKey, string? ns)
    {
        var bucket = Bucket(storageKey);
        if (ns is null) return bucket.Values;
        var prefix = ns + "/";
        return bucket.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p.Value);
    }

    public int Count(string storageKey, string? ns)
    {
        lock (_gate) return ns is null ? Bucket(storageKey).Count : Bucket(storageKey).Keys.Count(k => k.StartsWith(ns + "/", StringComparison.Ordinal));
    }

    /// <summary>Stores a new object; assigns its resourceVersion. Throws AlreadyExists through the callback when taken.</summary>
    public JsonObject Create(string storageKey, string? ns, string name, JsonObject obj, Func<ApiException> alreadyExists, Action? checkInsideLock = null)
    {
        lock (_gate)
        {
            checkInsideLock?.Invoke();
            var bucket = Bucket(storageKey);
            var key = Key(ns, name);
            if (bucket.ContainsKey(key)) throw alreadyExists();
            var stored = obj.Clone();
            stored.Metadata()["resourceVersion"] = Next();
            bucket[key] = stored;
            Publish(new StoredEvent(_revision, "ADDED", storageKey, ns, name, stored.Clone(), null));
            return stored.Clone();
        }
    }

    /// <summary>
    /// Replaces an object if its stored resourceVersion still equals <paramref name="expectedVersion"/>.
    /// Returns null when the precondition failed. Identical content keeps the resourceVersion and emits no event.
    /// </summary>
    public JsonObject? Update(string storageKey, string? ns, string name, JsonObject obj, string expectedVersion, Func<ApiException> notFound)
    {
        lock (_gate)
        {
            var bucket = Bucket(storageKey);
            var key = Key(ns, name);
            if (!bucket.TryGetValue(key, out var current)) throw notFound();
            if (current.At("metadata", "resourceVersion").AsString() != expectedVersion) return null;
            var candidate = obj.Clone();
            candidate.Metadata()["resourceVersion"] = expectedVersion;
            if (Json.DeepEquals(candidate, current)) return current.Clone();
            candidate.Metadata()["resourceVersion"] = Next();
            bucket[key] = candidate;
            Publish(new StoredEvent(_revision, "MODIFIED", storageKey, ns, name, candidate.Clone(), current));
            return candidate.Clone();
        }
    }

    /// <summary>Removes an object if its resourceVersion matches; the DELETED event carries the last state with a new resourceVersion.</summary>
    public JsonObject? Delete(string storageKey, string? ns, string name, string expectedVersion, Func<ApiException> notFound)
    {
        lock (_gate)
        {
            var bucket = Bucket(storageKey);
            var key = Key(ns, name);
            if (!bucket.TryGetValue(key, out var current)) throw notFound();
            if (current.At("metadata", "resourceVersion").AsString() != expectedVersion) return null;
            bucket.Remove(key);
            var last = current.Clone();
            last.Metadata()["resourceVersion"] = Next();
            Publish(new StoredEvent(_revision, "DELETED", storageKey, ns, name, last.Clone(), current));
            return last;
        }
    }

    /// <summary>Forgets all history, so every watch from an older resourceVersion gets 410 Expired.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedRevision = _revision;
        }
    }

    /// <summary>
    /// Starts a watch. With <paramref name="fromVersion"/> null, the caller sends the current state first (synthetic ADDED).
    /// Otherwise every retained event after that version is replayed, or <see cref="Errors.Expired"/> is thrown.
    /// </summary>
    public WatchSubscription Watch(string storageKey, string? ns, long? fromVersion, out List<JsonObject> initialState, out long initialRevision)
    {
        lock (_gate)
        {
            var sub = new WatchSubscription(this, storageKey, ns);
            initialState = [];
            initialRevision = _revision;
            if (fromVersion is null)
            {
                initialState = StoredIn(storageKey, ns).Select(o => o.Clone()).ToList();
            }
            else
            {
                if (fromVersion < _compactedRevision)
                    throw Errors.Expired($"too old resource version: {fromVersion} ({_compactedRevision})");
                foreach (var e in _history)
                    if (e.ResourceVersion > fromVersion && sub.Wants(e)) sub.Channel.Writer.TryWrite(e);
            }
            _subscriptions.Add(sub);
            return sub;
        }
    }

    internal void Unsubscribe(WatchSubscription sub)
    {
        lock (_gate) _subscriptions.Remove(sub);
    }

    /// <summary>Ends every open watch (optionally of one resource) as a dropped connection would.</summary>
    public int DropWatches(string? storageKey = null)
    {
        lock (_gate)
        {
            var dropped = _subscriptions.Where(s => storageKey is null || s.StorageKey == storageKey).ToList();
            foreach (var s in dropped) s.Drop();
            _subscriptions.RemoveAll(dropped.Contains);
            return dropped.Count;
        }
    }

    private string Next() => (++_revision).ToString(CultureInfo.InvariantCulture);

    private void Publish(StoredEvent e)
    {
        _history.AddLast(e);
        while (_history.Count > historySize)
        {
            _history.RemoveFirst();
            _compactedRevision = _history.First!.Value.ResourceVersion - 1;
        }
        foreach (var s in _subscriptions)
            if (s.Wants(e)) s.Channel.Writer.TryWrite(e);
    }
}
