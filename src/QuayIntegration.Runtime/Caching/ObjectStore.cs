using System.Collections.Concurrent;

namespace QuayIntegration.Runtime;

/// <summary>
/// An informer's objects, held the way they are read: by namespace, then by name. A namespace with a handful of objects
/// (the usual case: three service accounts, three of the operator's Secrets) is one array sized to its content, replaced
/// whole when it changes; one that grows past <see cref="CompactDictionary.MaxEntries"/> objects, and the cluster-scoped
/// objects (under the namespace ""), move into a concurrent dictionary by name and stay there, so no namespace with
/// thousands of objects is ever copied per change. Compared with one dictionary entry per object plus an index of names
/// per namespace, this holds one entry per namespace, about 160 bytes less per namespace and kind at three objects each,
/// and a namespace's objects are listed without a lookup per object.
/// <para>
/// One writer (the informer's loop), any number of readers, no lock: a reader sees a namespace's array as it was before
/// or after a change, never in between, and an array, once published, is never changed.
/// </para>
/// </summary>
internal sealed class ObjectStore<T>(ObjectIdentity<T> identity) where T : class
{
    // Per namespace ("" for cluster-scoped objects): a T[], or a ConcurrentDictionary<string, T> by name.
    private readonly ConcurrentDictionary<string, object> _byNamespace = new(StringComparer.Ordinal);

    public T? Get(ObjectKey key)
    {
        if (!_byNamespace.TryGetValue(key.Namespace ?? "", out var held)) return null;
        if (held is ConcurrentDictionary<string, T> large) return large.GetValueOrDefault(key.Name);
        var objects = (T[])held;
        var at = IndexOf(objects, key.Name);
        return at < 0 ? null : objects[at];
    }

    /// <summary>Adds or replaces the object under its key. Only the informer's loop calls this.</summary>
    public void Set(T obj)
    {
        var ns = identity.NamespaceOf(obj);
        var name = identity.NameOf(obj);
        if (!_byNamespace.TryGetValue(ns, out var held))
        {
            _byNamespace[ns] = ns.Length == 0 ? new ConcurrentDictionary<string, T>(StringComparer.Ordinal) { [name] = obj } : new[] { obj };
            return;
        }
        if (held is ConcurrentDictionary<string, T> large)
        {
            large[name] = obj;
            return;
        }
        var objects = (T[])held;
        var at = IndexOf(objects, name);
        if (at >= 0)
        {
            var replaced = (T[])objects.Clone();
            replaced[at] = obj;
            _byNamespace[ns] = replaced;
        }
        else if (objects.Length < CompactDictionary.MaxEntries)
        {
            _byNamespace[ns] = (T[])[.. objects, obj];
        }
        else
        {
            var grown = new ConcurrentDictionary<string, T>(StringComparer.Ordinal);
            foreach (var o in objects) grown[identity.NameOf(o)] = o;
            grown[name] = obj;
            _byNamespace[ns] = grown;
        }
    }

    /// <summary>Removes the object under the key and returns it, if held; a namespace left empty is dropped. Only the informer's loop calls this.</summary>
    public T? Remove(ObjectKey key)
    {
        var ns = key.Namespace ?? "";
        if (!_byNamespace.TryGetValue(ns, out var held)) return null;
        if (held is ConcurrentDictionary<string, T> large)
        {
            if (!large.TryRemove(key.Name, out var removed)) return null;
            if (large.IsEmpty) _byNamespace.TryRemove(ns, out _);
            return removed;
        }
        var objects = (T[])held;
        var at = IndexOf(objects, key.Name);
        if (at < 0) return null;
        if (objects.Length == 1) _byNamespace.TryRemove(ns, out _);
        else _byNamespace[ns] = (T[])[.. objects.AsSpan(0, at), .. objects.AsSpan(at + 1)];
        return objects[at];
    }

    /// <summary>The namespace's objects ("" for the cluster-scoped ones); the list is not changed afterwards.</summary>
    public IReadOnlyList<T> InNamespace(string ns) =>
        _byNamespace.TryGetValue(ns, out var held)
            ? held as T[] ?? [.. ((ConcurrentDictionary<string, T>)held).Values]
            : [];

    public IEnumerable<T> All() =>
        _byNamespace.Values.SelectMany(held => held as T[] ?? (IEnumerable<T>)((ConcurrentDictionary<string, T>)held).Values);

    /// <summary>Whether the namespace's objects are still held in an array (for tests).</summary>
    internal bool IsCompact(string ns) => _byNamespace.GetValueOrDefault(ns) is T[];

    private int IndexOf(T[] objects, string name)
    {
        for (var i = 0; i < objects.Length; i++)
            if (string.Equals(identity.NameOf(objects[i]), name, StringComparison.Ordinal)) return i;
        return -1;
    }
}
