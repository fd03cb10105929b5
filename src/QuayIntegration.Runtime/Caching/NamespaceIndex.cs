namespace QuayIntegration.Runtime;

/// <summary>
/// The keys of an informer's cache grouped by namespace. Plain collections behind one lock rather than a
/// ConcurrentDictionary per namespace: with thousands of namespaces holding a handful of objects each, a concurrent
/// dictionary's fixed overhead (buckets, lock arrays) costs several times the keys it holds, while the informer's
/// single writer and the readers' short lookups hardly ever contend. Every key of a namespace has that namespace, so
/// only names are held: an array sized to its content up to <see cref="CompactDictionary.MaxEntries"/> names (a set of
/// three names was about 200 bytes as a HashSet of keys, 48 as an array), a set past it, so that a namespace with
/// thousands of objects is never copied whole per change.
/// </summary>
internal sealed class NamespaceIndex
{
    // Per namespace: a string[] of names, or a HashSet<string> once it has grown past MaxEntries.
    private readonly Dictionary<string, object> _names = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Add(string ns, ObjectKey key)
    {
        lock (_gate)
        {
            if (!_names.TryGetValue(ns, out var held)) _names[ns] = new[] { key.Name };
            else if (held is HashSet<string> set) set.Add(key.Name);
            else if (held is string[] names && Array.IndexOf(names, key.Name) < 0)
                _names[ns] = names.Length < CompactDictionary.MaxEntries
                    ? (string[])[.. names, key.Name]
                    : new HashSet<string>([.. names, key.Name], StringComparer.Ordinal);
        }
    }

    /// <summary>Removes the key; a namespace left without keys is dropped, so deleted namespaces leave nothing behind.</summary>
    public void Remove(string ns, ObjectKey key)
    {
        lock (_gate)
        {
            if (!_names.TryGetValue(ns, out var held)) return;
            if (held is HashSet<string> set)
            {
                if (set.Remove(key.Name) && set.Count == 0) _names.Remove(ns);
                return;
            }
            var names = (string[])held;
            var at = Array.IndexOf(names, key.Name);
            if (at < 0) return;
            if (names.Length == 1) _names.Remove(ns);
            else _names[ns] = (string[])[.. names.AsSpan(0, at), .. names.AsSpan(at + 1)];
        }
    }

    /// <summary>Whether the namespace's names are still held in an array (for tests).</summary>
    internal bool IsCompact(string ns)
    {
        lock (_gate) return _names.GetValueOrDefault(ns) is string[];
    }

    public ObjectKey[] KeysIn(string ns)
    {
        lock (_gate)
        {
            if (!_names.TryGetValue(ns, out var held)) return [];
            IEnumerable<string> names = held as string[] ?? (IEnumerable<string>)(HashSet<string>)held;
            return [.. names.Select(name => new ObjectKey(ns, name))];
        }
    }
}
