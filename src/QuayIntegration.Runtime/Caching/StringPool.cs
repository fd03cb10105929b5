using System.Collections.Concurrent;

namespace QuayIntegration.Runtime;

/// <summary>
/// Shares one instance of strings that repeat across cached objects (namespace names, label and annotation keys,
/// kinds): every object deserialized from the API server brings its own copies, thousands of identical ones per
/// kind. Unlike <see cref="string.Intern"/> the pool is bounded, so a cluster that keeps inventing new values
/// (namespaces created and deleted for years) cannot grow it without limit; past the bound strings stay unshared.
/// </summary>
public sealed class StringPool(int capacity)
{
    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>The pool shared by every informer's transforms; room for the keys and names of a large cluster.</summary>
    public static StringPool Shared { get; } = new(200_000);

    public string? Share(string? value)
    {
        if (value is null) return null;
        if (_strings.TryGetValue(value, out var shared)) return shared;
        if (Volatile.Read(ref _count) >= capacity) return value;
        shared = _strings.GetOrAdd(value, value);
        if (ReferenceEquals(shared, value)) Interlocked.Increment(ref _count);
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
}
