using System.Collections.Concurrent;

namespace QuayIntegration.Operator.Controllers;

/// <summary>The last sync outcome of each namespace, counted into the QuayIntegration status.</summary>
public sealed class NamespaceSyncRegistry
{
    public sealed record Entry(bool Synced, string? Error, DateTimeOffset At);

    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    public event Action? Changed;

    public void Synced(string ns, DateTimeOffset at) => Set(ns, new Entry(true, null, at));

    public void Failed(string ns, string error, DateTimeOffset at) => Set(ns, new Entry(false, error, at));

    public void Remove(string ns)
    {
        if (_entries.TryRemove(ns, out _)) Changed?.Invoke();
    }

    public void Clear()
    {
        if (_entries.IsEmpty) return;
        _entries.Clear();
        Changed?.Invoke();
    }

    public Entry? Get(string ns) => _entries.TryGetValue(ns, out var e) ? e : null;

    public (int Synced, int Failing, string? LastError) Summary()
    {
        var entries = _entries.ToArray();
        var lastFailure = entries.Where(e => !e.Value.Synced).OrderByDescending(e => e.Value.At).FirstOrDefault();
        return (entries.Count(e => e.Value.Synced), entries.Count(e => !e.Value.Synced),
            lastFailure.Value is null ? null : $"namespace {lastFailure.Key}: {lastFailure.Value.Error}");
    }

    private void Set(string ns, Entry entry)
    {
        var changed = !_entries.TryGetValue(ns, out var old) || old.Synced != entry.Synced || old.Error != entry.Error;
        _entries[ns] = entry;
        if (changed) Changed?.Invoke();
    }
}
