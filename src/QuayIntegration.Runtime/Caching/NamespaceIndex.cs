namespace QuayIntegration.Runtime;

/// <summary>
/// The keys of an informer's cache grouped by namespace. Plain collections behind one lock rather than a
/// ConcurrentDictionary per namespace: with thousands of namespaces holding a handful of objects each, a concurrent
/// dictionary's fixed overhead (buckets, lock arrays) costs several times the keys it holds, while the informer's
/// single writer and the readers' short lookups hardly ever contend.
/// </summary>
internal sealed class NamespaceIndex
{
    private readonly Dictionary<string, HashSet<string>> _keys = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Add(string ns, string key)
    {
        lock (_gate)
        {
            if (!_keys.TryGetValue(ns, out var keys)) _keys[ns] = keys = new HashSet<string>(StringComparer.Ordinal);
            keys.Add(key);
        }
    }

    /// <summary>Removes the key; a namespace left without keys is dropped, so deleted namespaces leave nothing behind.</summary>
    public void Remove(string ns, string key)
    {
        lock (_gate)
            if (_keys.TryGetValue(ns, out var keys) && keys.Remove(key) && keys.Count == 0) _keys.Remove(ns);
    }

    public string[] KeysIn(string ns)
    {
        lock (_gate) return _keys.TryGetValue(ns, out var keys) ? [.. keys] : [];
    }
}
