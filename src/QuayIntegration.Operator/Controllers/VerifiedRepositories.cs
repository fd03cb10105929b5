using System.Collections.Concurrent;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Which repositories of each namespace's organization are known to give every robot of the matrix an explicit
/// permission, as proved by the namespace's last verification (one robot list shows every robot's repositories) and
/// by the repositories created since. The ImageStream controller asks Quay nothing about a repository listed here, so
/// a drift check costs a fixed number of calls per namespace however many ImageStreams it has.
/// Entries are tied to a fingerprint of what they were proved under (configuration, Quay connection, namespace,
/// organization); a different fingerprint never matches.
/// </summary>
public sealed class VerifiedRepositories
{
    private sealed record Entry(string Fingerprint, ConcurrentDictionary<string, byte> Names);

    private readonly ConcurrentDictionary<string, Entry> _byNamespace = new();

    /// <summary>What a verification was made under: a change of any part makes it worthless.</summary>
    public static string Fingerprint(IntegrationConfig config, QuayConnection connection, string? namespaceUid, string org) =>
        $"{config.DesiredStateFingerprint}|{connection.Fingerprint}|{namespaceUid}|{org}";

    /// <summary>The namespace's organization was just verified: exactly these repositories are covered.</summary>
    public void Replace(string ns, string fingerprint, IEnumerable<string> repositories) =>
        _byNamespace[ns] = new Entry(fingerprint, new ConcurrentDictionary<string, byte>(repositories.Select(r => KeyValuePair.Create(r, (byte)0))));

    /// <summary>A repository was created or repaired under the namespace's current verification.</summary>
    public void Add(string ns, string fingerprint, string repository)
    {
        if (_byNamespace.TryGetValue(ns, out var entry) && entry.Fingerprint == fingerprint) entry.Names[repository] = 0;
    }

    public void Remove(string ns, string repository)
    {
        if (_byNamespace.TryGetValue(ns, out var entry)) entry.Names.TryRemove(repository, out _);
    }

    public bool Contains(string ns, string fingerprint, string repository) =>
        _byNamespace.TryGetValue(ns, out var entry) && entry.Fingerprint == fingerprint && entry.Names.ContainsKey(repository);

    /// <summary>Whether the namespace's organization was verified under this fingerprint (and not distrusted since).</summary>
    public bool HasVerification(string ns, string fingerprint) =>
        _byNamespace.TryGetValue(ns, out var entry) && entry.Fingerprint == fingerprint;

    public void Forget(string ns) => _byNamespace.TryRemove(ns, out _);

    /// <summary>
    /// Quay contradicted the namespace's verification (it refused to create a repository in the organization, as it
    /// does when the organization was deleted behind the operator's back): the namespace must be verified again now
    /// rather than at its next drift check.
    /// </summary>
    public void Distrust(string ns)
    {
        if (_byNamespace.TryRemove(ns, out _)) Distrusted?.Invoke(ns);
    }

    public event Action<string>? Distrusted;
}
