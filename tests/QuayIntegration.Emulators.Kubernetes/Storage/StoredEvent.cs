using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Storage;

/// <summary>One change in the store. <see cref="Object"/> and <see cref="Previous"/> are frozen snapshots: never mutate them.</summary>
public sealed record StoredEvent(long ResourceVersion, string Type, string StorageKey, string? Namespace, string Name, JsonObject Object, JsonObject? Previous)
{
    /// <summary>When the change was committed (a watch that lags delivers it that much later).</summary>
    public DateTimeOffset At { get; } = DateTimeOffset.UtcNow;
}
