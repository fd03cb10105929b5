using System.Collections.Concurrent;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

public enum NamespaceState { Pending, Synced, Failing, Conflict }

/// <summary>Where each managed namespace stands, and under which QuayIntegration: counted into that integration's status.</summary>
public sealed class NamespaceSyncRegistry
{
    /// <param name="Fingerprint">For a synced one, the <see cref="IntegrationSnapshot.Fingerprint"/> it was synced under
    /// (one shared string per configuration).</param>
    public sealed record Entry(NamespaceState State, string? Integration, string? Message, DateTimeOffset At, string? Fingerprint = null)
    {
        public bool Synced => State == NamespaceState.Synced;
    }

    public sealed record Counts(int Synced, int Pending, int Failing, string? LastError, string? FirstPending);

    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    /// <summary>One instance per fingerprint, shared by every entry synced under it (a string per namespace would be megabytes at 20,000).</summary>
    private readonly ConcurrentDictionary<string, string> _fingerprints = new(StringComparer.Ordinal);

    /// <summary>Raised when a namespace changes state or reason (not on every reconcile).</summary>
    public Signal Changed { get; } = new("namespace outcome changed");

    public void Synced(string ns, string? integration, DateTimeOffset at, string fingerprint)
    {
        if (_fingerprints.Count > 64) _fingerprints.Clear(); // entries keep their own; only sharing is lost for a moment
        Set(ns, new Entry(NamespaceState.Synced, integration, null, at, _fingerprints.GetOrAdd(fingerprint, fingerprint)));
    }

    public void Pending(string ns, string? integration, string reason, DateTimeOffset at) => Set(ns, new Entry(NamespaceState.Pending, integration, reason, at));

    public void Failed(string ns, string? integration, string error, DateTimeOffset at) => Set(ns, new Entry(NamespaceState.Failing, integration, error, at));

    /// <summary>Selected by several integrations: counted by none of them (each counts its conflicts from the selection).</summary>
    public void Conflict(string ns, string reason, DateTimeOffset at) => Set(ns, new Entry(NamespaceState.Conflict, null, reason, at));

    public void Remove(string ns)
    {
        if (_entries.TryRemove(ns, out _)) Changed.Raise();
    }

    public Entry? Get(string ns) => _entries.TryGetValue(ns, out var e) ? e : null;

    /// <summary>
    /// The counts of the namespaces under <paramref name="integration"/>. With <paramref name="fingerprint"/> (the
    /// integration as it is now), one synced under another configuration counts as pending until it is synced again:
    /// a change is not reported done the moment it is seen.
    /// </summary>
    public Counts Summary(string integration, string? fingerprint = null)
    {
        var entries = _entries.Where(e => e.Value.Integration == integration).ToArray();
        bool Behind(Entry e) => fingerprint is not null && e.State == NamespaceState.Synced && !string.Equals(e.Fingerprint, fingerprint, StringComparison.Ordinal);
        var lastFailure = entries.Where(e => e.Value.State == NamespaceState.Failing).OrderByDescending(e => e.Value.At).FirstOrDefault();
        var firstPending = entries.Where(e => e.Value.State == NamespaceState.Pending).OrderBy(e => e.Value.At).FirstOrDefault();
        var firstBehind = firstPending.Value is null ? entries.Where(e => Behind(e.Value)).OrderBy(e => e.Key, StringComparer.Ordinal).FirstOrDefault() : default;
        var behind = entries.Count(e => Behind(e.Value));
        return new Counts(
            entries.Count(e => e.Value.State == NamespaceState.Synced) - behind,
            entries.Count(e => e.Value.State == NamespaceState.Pending) + behind,
            entries.Count(e => e.Value.State == NamespaceState.Failing),
            lastFailure.Value is null ? null : StatusConditions.Bounded($"namespace {lastFailure.Key}: {lastFailure.Value.Message}"),
            firstPending.Value is not null ? $"namespace {firstPending.Key}: {firstPending.Value.Message}"
            : firstBehind.Value is not null ? $"namespace {firstBehind.Key}: being brought in step with the changed QuayIntegration" : null);
    }

    private void Set(string ns, Entry entry)
    {
        var changed = !_entries.TryGetValue(ns, out var old) || old.State != entry.State || old.Message != entry.Message || old.Integration != entry.Integration
                      || !string.Equals(old.Fingerprint, entry.Fingerprint, StringComparison.Ordinal);
        _entries[ns] = entry;
        if (changed) Changed.Raise();
    }
}
