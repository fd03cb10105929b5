using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Cli;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>Shared pieces of the cluster tests: starting a cluster, unique names, recording watch events.</summary>
public static class ClusterTestSupport
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30); // generous: CI runs every suite at once on 2 cores

    public static Task<EmulatedCluster> StartClusterAsync(Action<EmulatedClusterOptions>? configure = null)
    {
        var options = new EmulatedClusterOptions();
        configure?.Invoke(options);
        return EmulatedCluster.StartAsync(options);
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public static async Task<bool> ExistsAsync(Func<Task> read)
    {
        try
        {
            await read();
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public static Task<T> WaitForAsync<T>(Func<CancellationToken, Task<T?>> probe, string what) where T : class =>
        OpenShiftCli.WaitForAsync(probe, WaitTimeout, () => what);
}

/// <summary>
/// Records the watch events of one namespace as a client of the API server sees them, from a resourceVersion taken
/// before the namespace exists, so every event about it is seen.
/// </summary>
public sealed class NamespaceEventRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _watching = Task.CompletedTask;

    private NamespaceEventRecorder()
    {
    }

    public ConcurrentQueue<(WatchEventType Type, V1Namespace Namespace)> Events { get; } = new();

    public static async Task<NamespaceEventRecorder> StartAsync(IKubernetes client, string name)
    {
        var recorder = new NamespaceEventRecorder();
        var list = await client.CoreV1.ListNamespaceAsync(fieldSelector: $"metadata.name={name}");
        var watch = client.CoreV1.ListNamespaceWithHttpMessagesAsync(fieldSelector: $"metadata.name={name}", watch: true,
            resourceVersion: list.Metadata.ResourceVersion, cancellationToken: recorder._stop.Token);
        recorder._watching = Task.Run(async () =>
        {
#pragma warning disable CS0618 // the list-based watch is the typed watch this client offers
            await foreach (var (type, ns) in watch.WatchAsync<V1Namespace, V1NamespaceList>(cancellationToken: recorder._stop.Token))
#pragma warning restore CS0618
            {
                recorder.Events.Enqueue((type, ns));
            }
        });
        return recorder;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _watching;
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
        }
        _stop.Dispose();
    }
}
