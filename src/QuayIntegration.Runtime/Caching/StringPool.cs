using System.Collections.Concurrent;

namespace QuayIntegration.Runtime;

/// <summary>
/// Shares one instance of strings that repeat across cached objects (namespace names, label and annotation keys,
/// kinds): every object deserialized from the API server brings its own copies, thousands of identical ones per
/// kind. Unlike <see cref="string.Intern"/> the pool is bounded, in entries and in characters, because what it is
/// given comes from whoever writes the objects: a tenant can label Secrets or edit service accounts anywhere in the
/// cluster, and a value they invent and drop again must not stay in the operator's memory. So a string longer than
/// any name or key Kubernetes accepts is never pooled (an annotation value, a made-up type), and a pool that fills
/// up starts over empty: the strings only it held are collected, those objects hold stay where they are, and what
/// repeats is pooled again as objects arrive. The worst a cluster inventing values can do is spoil the sharing.
/// </summary>
public sealed class StringPool(int capacity, long maxCharacters, int maxLength = StringPool.MaxPooledLength)
{
    /// <summary>
    /// The longest string pooled: a qualified name (a label or annotation key, a finalizer) is at most a 253-character
    /// DNS prefix, a slash and 63 characters. Names, namespaces, kinds and the values the operator writes are shorter.
    /// </summary>
    public const int MaxPooledLength = 317;

    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);
    private int _count;
    private long _characters;

    /// <summary>
    /// The pool shared by every informer's transforms; room for the keys and names of a large cluster (a namespace
    /// name pooled per namespace, 20,000 of them, is well within it) and at most about 8 MB of characters.
    /// </summary>
    public static StringPool Shared { get; } = new(200_000, 4_000_000);

    /// <summary>How many strings the pool holds now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>How many characters the strings the pool holds add up to.</summary>
    public long Characters => Interlocked.Read(ref _characters);

    public string? Share(string? value)
    {
        if (value is null || value.Length > maxLength) return value;
        if (_strings.TryGetValue(value, out var shared)) return shared;
        if (IsFullFor(value.Length)) StartOver(value.Length);
        shared = _strings.GetOrAdd(value, value);
        if (ReferenceEquals(shared, value))
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _characters, value.Length);
        }
        return shared;
    }

    /// <summary>
    /// The pool's instance of <paramref name="value"/> if some cache shared it already, else <paramref name="value"/>,
    /// not added: for strings that repeat only sometimes (a Secret name a service account lists is the operator's own,
    /// the same in every namespace, or a generated one seen once), which would otherwise fill the pool.
    /// </summary>
    public string? ShareIfPooled(string? value) => value is not null && _strings.TryGetValue(value, out var shared) ? shared : value;

    /// <summary>Whether <paramref name="value"/> is the pool's own instance.</summary>
    public bool IsPooled(string? value) => value is not null && _strings.TryGetValue(value, out var shared) && ReferenceEquals(shared, value);

    private bool IsFullFor(int adding) => Count >= capacity || Characters + adding > maxCharacters;

    /// <summary>
    /// Empties a full pool. Racing adds may be counted in the old pool or the new: the counts only decide when to start
    /// over, so a few strings more or less before the next time does not matter.
    /// </summary>
    private void StartOver(int adding)
    {
        lock (_strings)
        {
            if (!IsFullFor(adding)) return; // another thread just did
            _strings.Clear();
            Volatile.Write(ref _count, 0);
            Interlocked.Exchange(ref _characters, 0);
        }
    }
}
