using System.Collections.Concurrent;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>Counts of served resource requests by verb and resource (<c>plural</c> or <c>plural/subresource</c>).</summary>
public sealed class RequestAccounting
{
    private readonly ConcurrentDictionary<(string Verb, string Resource), int> _counts = new();

    internal void Record(string verb, string resource) => _counts.AddOrUpdate((verb, resource), 1, (_, n) => n + 1);

    public int Count(string verb, string resource) => _counts.TryGetValue((verb, resource), out var n) ? n : 0;

    public int Total => _counts.Values.Sum();

    public IReadOnlyDictionary<(string Verb, string Resource), int> Snapshot() => new Dictionary<(string, string), int>(_counts);

    public void Reset() => _counts.Clear();
}
