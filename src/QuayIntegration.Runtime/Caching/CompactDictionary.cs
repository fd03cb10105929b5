using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace QuayIntegration.Runtime;

/// <summary>Makes <see cref="CompactDictionary{TValue}"/>s.</summary>
public static class CompactDictionary
{
    /// <summary>Up to this many entries a scan beats hashing; past it <see cref="Of{TValue}"/> keeps a dictionary.</summary>
    public const int MaxEntries = 16;

    /// <summary>An empty map, for maps built entry by entry that stay small.</summary>
    public static CompactDictionary<TValue> Create<TValue>() => new([]);

    /// <summary>A compact copy of <paramref name="map"/> with its keys and values passed through the share functions,
    /// or an ordinal dictionary when it has more than <see cref="MaxEntries"/> entries.</summary>
    public static IDictionary<string, TValue> Of<TValue>(IDictionary<string, TValue> map, Func<string, string> shareKey, Func<TValue, TValue> shareValue)
    {
        if (map.Count > MaxEntries)
        {
            var large = new Dictionary<string, TValue>(map.Count, StringComparer.Ordinal);
            foreach (var (key, value) in map) large[shareKey(key)] = shareValue(value);
            return large;
        }
        var entries = new KeyValuePair<string, TValue>[map.Count];
        var i = 0;
        foreach (var (key, value) in map) entries[i++] = new(shareKey(key), shareValue(value));
        return new CompactDictionary<TValue>(entries);
    }
}

/// <summary>
/// A map from string keys kept as one array of entries sized to its content, for the labels, annotations and Secret
/// data of cached objects and the small maps of Quay observations. A <see cref="Dictionary{TKey,TValue}"/> of two or
/// three entries carries about 200 bytes of buckets, entries and bookkeeping besides its contents; this carries 56 plus
/// 16 per entry (it was 88 plus 16 with keys and values in two arrays: one array header and one field less, taken tens
/// of thousands of times). The caches hold tens of thousands of these maps for the life of the process, and most have a
/// handful of entries, where a linear scan (ordinal, by length first) is as fast as hashing. A map that grows past <see
/// cref="CompactDictionary.MaxEntries"/> (an organization with thousands of repositories) moves into an ordinal
/// dictionary and stays there, so no map is ever scanned or copied whole per entry at a size where that would cost. It
/// is a complete, mutable <see cref="IDictionary{TKey,TValue}"/>, so code written for the dictionaries KubernetesClient
/// deserializes works on it unchanged; like them, it is not safe for concurrent writers, and nothing writes to a cached
/// object.
/// </summary>
public sealed class CompactDictionary<TValue> : IDictionary<string, TValue>, IReadOnlyDictionary<string, TValue>
{
    private KeyValuePair<string, TValue>[] _entries;
    // Past MaxEntries: each entry keyed by its key, holding the key instance too (for TryGetKey).
    private Dictionary<string, KeyValuePair<string, TValue>>? _large;

    internal CompactDictionary(KeyValuePair<string, TValue>[] entries) => _entries = entries;

    /// <summary>Still the array (false once it has grown past <see cref="CompactDictionary.MaxEntries"/>).</summary>
    internal bool IsCompact => _large is null;

    public int Count => _large?.Count ?? _entries.Length;

    public bool IsReadOnly => false;

    public TValue this[string key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The key '{key}' was not present.");
        set
        {
            if (_large is not null)
            {
                _large[key] = new(_large.TryGetValue(key, out var held) ? held.Key : key, value);
                return;
            }
            var at = IndexOf(key);
            if (at >= 0) _entries[at] = new(_entries[at].Key, value);
            else Append(key, value);
        }
    }

    public ICollection<string> Keys => [.. Entries.Select(e => e.Key)];

    public ICollection<TValue> Values => [.. Entries.Select(e => e.Value)];

    private IEnumerable<KeyValuePair<string, TValue>> Entries => _large is null ? _entries : _large.Values;

    IEnumerable<string> IReadOnlyDictionary<string, TValue>.Keys => Keys;

    IEnumerable<TValue> IReadOnlyDictionary<string, TValue>.Values => Values;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        var found = TryGetEntry(key, out var entry);
        value = entry.Value;
        return found;
    }

    public bool ContainsKey(string key) => _large?.ContainsKey(key) ?? IndexOf(key) >= 0;

    /// <summary>The instance of <paramref name="key"/> the map holds, as <see cref="HashSet{T}.TryGetValue"/> gives it.</summary>
    public bool TryGetKey(string key, [MaybeNullWhen(false)] out string held)
    {
        var found = TryGetEntry(key, out var entry);
        held = entry.Key;
        return found;
    }

    /// <summary>The entry for <paramref name="key"/>, with the key instance the map holds; default when absent.</summary>
    private bool TryGetEntry(string key, out KeyValuePair<string, TValue> entry)
    {
        if (_large is not null) return _large.TryGetValue(key, out entry);
        var at = IndexOf(key);
        entry = at >= 0 ? _entries[at] : default;
        return at >= 0;
    }

    public void Add(string key, TValue value)
    {
        if (ContainsKey(key)) throw new ArgumentException($"An item with the same key has already been added. Key: {key}", nameof(key));
        if (_large is not null) _large.Add(key, new(key, value));
        else Append(key, value);
    }

    public bool Remove(string key)
    {
        if (_large is not null) return _large.Remove(key);
        var at = IndexOf(key);
        if (at < 0) return false;
        _entries = [.. _entries.AsSpan(0, at), .. _entries.AsSpan(at + 1)];
        return true;
    }

    public void Clear()
    {
        _entries = [];
        _large = null;
    }

    public void Add(KeyValuePair<string, TValue> item) => Add(item.Key, item.Value);

    public bool Contains(KeyValuePair<string, TValue> item) =>
        TryGetValue(item.Key, out var value) && EqualityComparer<TValue>.Default.Equals(value, item.Value);

    public bool Remove(KeyValuePair<string, TValue> item) => Contains(item) && Remove(item.Key);

    public void CopyTo(KeyValuePair<string, TValue>[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (arrayIndex < 0 || array.Length - arrayIndex < Count) throw new ArgumentOutOfRangeException(nameof(arrayIndex));
        foreach (var pair in this) array[arrayIndex++] = pair;
    }

    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator() => Entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entries = _entries;
        for (var i = 0; i < entries.Length; i++)
            if (entries[i].Key.Length == key.Length && string.Equals(entries[i].Key, key, StringComparison.Ordinal)) return i;
        return -1;
    }

    private void Append(string key, TValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_entries.Length >= CompactDictionary.MaxEntries)
        {
            _large = new Dictionary<string, KeyValuePair<string, TValue>>(_entries.Length * 2, StringComparer.Ordinal);
            foreach (var entry in _entries) _large[entry.Key] = entry;
            _large[key] = new(key, value);
            _entries = [];
            return;
        }
        _entries = [.. _entries, new(key, value)];
    }
}
