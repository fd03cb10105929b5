using System.Threading.Channels;

namespace QuayIntegration.Emulators.Kubernetes.Storage;

/// <summary>One open watch: events of one resource (optionally one namespace) queued for the stream that writes them.</summary>
public sealed class WatchSubscription(ObjectStore store, string storageKey, string? ns) : IDisposable
{
    public string StorageKey { get; } = storageKey;
    public Channel<StoredEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<StoredEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _dropped = new();

    /// <summary>Cancelled when the connection is dropped: events still queued are lost with it, as on a broken connection.</summary>
    public CancellationToken Dropped => _dropped.Token;

    internal bool Wants(StoredEvent e) => e.StorageKey == StorageKey && (ns is null || e.Namespace == ns);

    internal void Drop()
    {
        _dropped.Cancel();
        Channel.Writer.TryComplete();
    }

    public void Dispose()
    {
        store.Unsubscribe(this);
        _dropped.Dispose();
    }
}
