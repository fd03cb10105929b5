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
    /// <summary>A plain set under its own lock: thousands of namespaces, a handful of names each.</summary>
    private sealed class Entry(VerificationFingerprint fingerprint, IEnumerable<string> names)
    {
        private readonly HashSet<string> _names = new(names, StringComparer.Ordinal);

        public VerificationFingerprint Fingerprint { get; } = fingerprint;

        public void Add(string name)
        {
            lock (_names) _names.Add(name);
        }

        public void Remove(string name)
        {
            lock (_names) _names.Remove(name);
        }

        public bool Contains(string name)
        {
            lock (_names) return _names.Contains(name);
        }
    }

    private readonly ConcurrentDictionary<string, Entry> _byNamespace = new();

    /// <summary>What a verification was made under: a change of any part makes it worthless.</summary>
    public static VerificationFingerprint Fingerprint(IntegrationConfig config, QuayConnection connection, string? namespaceUid, string org) =>
        new(config.DesiredStateFingerprint, connection.Fingerprint, namespaceUid, org);

    /// <summary>The namespace's organization was just verified: exactly these repositories are covered.</summary>
    public void Replace(string ns, VerificationFingerprint fingerprint, IEnumerable<string> repositories) =>
        _byNamespace[ns] = new Entry(fingerprint, repositories);

    /// <summary>A repository was created or repaired under the namespace's current verification.</summary>
    public void Add(string ns, VerificationFingerprint fingerprint, string repository)
    {
        if (_byNamespace.TryGetValue(ns, out var entry) && entry.Fingerprint == fingerprint) entry.Add(repository);
    }

    public void Remove(string ns, string repository)
    {
        if (_byNamespace.TryGetValue(ns, out var entry)) entry.Remove(repository);
    }

    public bool Contains(string ns, VerificationFingerprint fingerprint, string repository) =>
        _byNamespace.TryGetValue(ns, out var entry) && entry.Fingerprint == fingerprint && entry.Contains(repository);

    /// <summary>Whether the namespace's organization was verified under this fingerprint (and not distrusted since).</summary>
    public bool HasVerification(string ns, VerificationFingerprint fingerprint) =>
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

/// <summary>
/// The parts a verification depends on, kept apart instead of joined into one string: the configuration's and the
/// connection's parts are the same string instances for every namespace, so each record costs a few references.
/// </summary>
public readonly record struct VerificationFingerprint(string DesiredState, string Connection, string? NamespaceUid, string Organization);
