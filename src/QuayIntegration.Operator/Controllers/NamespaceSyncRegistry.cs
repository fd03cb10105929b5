using System.Collections.Concurrent;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

public enum NamespaceState { Pending, Synced, Failing, Conflict }

/// <summary>Where each managed namespace stands, and under which QuayIntegration: counted into that integration's status.</summary>
public sealed class NamespaceSyncRegistry
{
    public sealed record Entry(NamespaceState State, string? Integration, string? Message, DateTimeOffset At)
    {
        public bool Synced => State == NamespaceState.Synced;
    }

    public sealed record Counts(int Synced, int Pending, int Failing, string? LastError, string? FirstPending);

    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    /// <summary>Raised when a namespace changes state or reason (not on every reconcile).</summary>
    public Signal Changed { get; } = new("namespace outcome changed");

    public void Synced(string ns, string? integration, DateTimeOffset at) => Set(ns, new Entry(NamespaceState.Synced, integration, null, at));

    public void Pending(string ns, string? integration, string reason, DateTimeOffset at) => Set(ns, new Entry(NamespaceState.Pending, integration, reason, at));

    public void Failed(string ns, string? integration, string error, DateTimeOffset at) => Set(ns, new Entry(NamespaceState.Failing, integration, error, at));

    /// <summary>Selected by several integrations: counted by none of them (each counts its conflicts from the selection).</summary>
    public void Conflict(string ns, string reason, DateTimeOffset at) => Set(ns, new Entry(NamespaceState.Conflict, null, reason, at));

    public void Remove(string ns)
    {
        if (_entries.TryRemove(ns, out _)) Changed.Raise();
    }

    public Entry? Get(string ns) => _entries.TryGetValue(ns, out var e) ? e : null;

    /// <summary>The counts of the namespaces under <paramref name="integration"/>.</summary>
    public Counts Summary(string integration)
    {
        var entries = _entries.Where(e => e.Value.Integration == integration).ToArray();
        var lastFailure = entries.Where(e => e.Value.State == NamespaceState.Failing).OrderByDescending(e => e.Value.At).FirstOrDefault();
        var firstPending = entries.Where(e => e.Value.State == NamespaceState.Pending).OrderBy(e => e.Value.At).FirstOrDefault();
        return new Counts(
            entries.Count(e => e.Value.State == NamespaceState.Synced),
            entries.Count(e => e.Value.State == NamespaceState.Pending),
            entries.Count(e => e.Value.State == NamespaceState.Failing),
            lastFailure.Value is null ? null : StatusConditions.Bounded($"namespace {lastFailure.Key}: {lastFailure.Value.Message}"),
            firstPending.Value is null ? null : $"namespace {firstPending.Key}: {firstPending.Value.Message}");
    }

    private void Set(string ns, Entry entry)
    {
        var changed = !_entries.TryGetValue(ns, out var old) || old.State != entry.State || old.Message != entry.Message || old.Integration != entry.Integration;
        _entries[ns] = entry;
        if (changed) Changed.Raise();
    }
}
