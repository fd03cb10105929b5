using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace QuayIntegration.Runtime;

/// <summary>Makes <see cref="CompactDictionary{TValue}"/>s.</summary>
public static class CompactDictionary
{
    /// <summary>Up to this many entries a scan beats hashing; past it <see cref="Of{TValue}"/> keeps a dictionary.</summary>
    public const int MaxEntries = 16;

    /// <summary>An empty map, for maps built entry by entry that stay small.</summary>
    public static CompactDictionary<TValue> Create<TValue>() => new([], []);

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
        var keys = new string[map.Count];
        var values = new TValue[map.Count];
        var i = 0;
        foreach (var (key, value) in map)
        {
            keys[i] = shareKey(key);
            values[i++] = shareValue(value);
        }
        return new CompactDictionary<TValue>(keys, values);
    }
}

/// <summary>
/// A map from string keys kept as two arrays sized to its content, for the labels, annotations and Secret data of
/// cached objects. A <see cref="Dictionary{TKey,TValue}"/> of two or three entries carries about 200 bytes of
/// buckets, entries and bookkeeping besides its contents; this carries 72 plus 16 per entry. The caches hold tens of
/// thousands of these maps for the life of the process, and most have a handful of entries, where a linear scan
/// (ordinal, by length first) is as fast as hashing; larger maps stay dictionaries (<see cref="CompactDictionary.MaxEntries"/>).
/// It is a complete, mutable <see cref="IDictionary{TKey,TValue}"/> (a change allocates new arrays), so code written
/// for the dictionaries KubernetesClient deserializes works on it unchanged; like them, it is not safe for
/// concurrent writers, and nothing writes to a cached object.
/// </summary>
public sealed class CompactDictionary<TValue> : IDictionary<string, TValue>, IReadOnlyDictionary<string, TValue>
{
    private string[] _keys;
    private TValue[] _values;

    internal CompactDictionary(string[] keys, TValue[] values)
    {
        _keys = keys;
        _values = values;
    }

    public int Count => _keys.Length;

    public bool IsReadOnly => false;

    public TValue this[string key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The key '{key}' was not present.");
        set
        {
            var at = IndexOf(key);
            if (at >= 0) _values[at] = value;
            else Append(key, value);
        }
    }

    public ICollection<string> Keys => [.. _keys];

    public ICollection<TValue> Values => [.. _values];

    IEnumerable<string> IReadOnlyDictionary<string, TValue>.Keys => Keys;

    IEnumerable<TValue> IReadOnlyDictionary<string, TValue>.Values => Values;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        var at = IndexOf(key);
        value = at >= 0 ? _values[at] : default;
        return at >= 0;
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <summary>The instance of <paramref name="key"/> the map holds, as <see cref="HashSet{T}.TryGetValue"/> gives it.</summary>
    public bool TryGetKey(string key, [MaybeNullWhen(false)] out string held)
    {
        var at = IndexOf(key);
        held = at >= 0 ? _keys[at] : null;
        return at >= 0;
    }

    public void Add(string key, TValue value)
    {
        if (IndexOf(key) >= 0) throw new ArgumentException($"An item with the same key has already been added. Key: {key}", nameof(key));
        Append(key, value);
    }

    public bool Remove(string key)
    {
        var at = IndexOf(key);
        if (at < 0) return false;
        _keys = Without(_keys, at);
        _values = Without(_values, at);
        return true;
    }

    public void Clear()
    {
        _keys = [];
        _values = [];
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

    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator()
    {
        var (keys, values) = (_keys, _values);
        for (var i = 0; i < keys.Length; i++) yield return new(keys[i], values[i]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keys = _keys;
        for (var i = 0; i < keys.Length; i++)
            if (keys[i].Length == key.Length && string.Equals(keys[i], key, StringComparison.Ordinal)) return i;
        return -1;
    }

    private void Append(string key, TValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        _keys = [.. _keys, key];
        _values = [.. _values, value];
    }

    private static T[] Without<T>(T[] items, int at) => [.. items.AsSpan(0, at), .. items.AsSpan(at + 1)];
}
