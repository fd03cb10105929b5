using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Emulators.Cluster.Infrastructure;

/// <summary>
/// The list-then-watch loop every controller runs, as client-go's reflector does it: list to learn the current state
/// and the resourceVersion, watch from that version, re-watch from the last seen version when a stream ends, and
/// re-list when the server answers that the version is too old (410 Expired) or the connection breaks.
/// </summary>
public sealed class ListWatch<T> where T : class
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    public required string Description { get; init; }
    public required Func<CancellationToken, Task<(IReadOnlyList<T> Items, string? ResourceVersion)>> List { get; init; }
    public required Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> Watch { get; init; }
    public required Func<T, string?> ResourceVersionOf { get; init; }

    /// <summary>
    /// Calls <paramref name="onObject"/> for every listed object (as ADDED) and every watch event, until cancelled.
    /// <paramref name="onRelist"/> runs before each list is delivered: deletions during a gap produce no event, so a
    /// controller keeping its own view of what exists must drop it there.
    /// </summary>
    public async Task RunAsync(Action<WatchEventType, T> onObject, ILogger logger, CancellationToken cancellationToken, Action? onRelist = null)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var (items, listVersion) = await List(cancellationToken);
                onRelist?.Invoke();
                foreach (var item in items)
                {
                    onObject(WatchEventType.Added, item);
                }
                var resourceVersion = listVersion ?? "0";
                while (!cancellationToken.IsCancellationRequested)
                {
                    Exception? streamError = null;
                    var opened = DateTimeOffset.UtcNow;
                    var events = 0;
                    await foreach (var (type, obj) in Watch(resourceVersion, e => streamError = e, cancellationToken))
                    {
                        events++;
                        resourceVersion = ResourceVersionOf(obj) ?? resourceVersion;
                        if (type != WatchEventType.Bookmark)
                        {
                            onObject(type, obj);
                        }
                    }
                    if (streamError is not null)
                    {
                        // A 410 Expired (or any other error event) means events may have been missed: start over with a list.
                        logger.LogDebug(streamError, "{Watch}: watch from {ResourceVersion} ended with an error; re-listing", Description, resourceVersion);
                        break;
                    }
                    if (events == 0 && DateTimeOffset.UtcNow - opened < RetryDelay)
                    {
                        // A server that closes watches at once must not make us spin.
                        await Task.Delay(RetryDelay, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogDebug(exception, "{Watch}: list or watch failed; retrying", Description);
            }
            try
            {
                await Task.Delay(RetryDelay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>List/watch definitions for the resources the emulated controllers follow.</summary>
// WatchAsync over a list call is the only typed watch this client offers for core types and for JSON custom objects.
#pragma warning disable CS0618
public static class ListWatches
{
    // The server ends each watch after this; it stays under KubernetesClient's default 100 s request timeout, so streams
    // end cleanly on the server's side and are resumed from the last resourceVersion (exercising that path regularly too).
    private const int WatchTimeoutSeconds = 60;

    public static ListWatch<V1Namespace> Namespaces(IKubernetes client) => new()
    {
        Description = "namespaces",
        List = async ct =>
        {
            var list = await client.CoreV1.ListNamespaceAsync(cancellationToken: ct);
            return (list.Items.ToList(), list.Metadata?.ResourceVersion);
        },
        Watch = (rv, onError, ct) => client.CoreV1
            .ListNamespaceWithHttpMessagesAsync(watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)
            .WatchAsync<V1Namespace, V1NamespaceList>(onError, ct),
        ResourceVersionOf = o => o.Metadata?.ResourceVersion,
    };

    public static ListWatch<V1ServiceAccount> ServiceAccounts(IKubernetes client) => new()
    {
        Description = "serviceaccounts",
        List = async ct =>
        {
            var list = await client.CoreV1.ListServiceAccountForAllNamespacesAsync(cancellationToken: ct);
            return (list.Items.ToList(), list.Metadata?.ResourceVersion);
        },
        Watch = (rv, onError, ct) => client.CoreV1
            .ListServiceAccountForAllNamespacesWithHttpMessagesAsync(watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)
            .WatchAsync<V1ServiceAccount, V1ServiceAccountList>(onError, ct),
        ResourceVersionOf = o => o.Metadata?.ResourceVersion,
    };

    public static ListWatch<V1ClusterRole> ClusterRoles(IKubernetes client) => new()
    {
        Description = "clusterroles",
        List = async ct =>
        {
            var list = await client.RbacAuthorizationV1.ListClusterRoleAsync(cancellationToken: ct);
            return (list.Items.ToList(), list.Metadata?.ResourceVersion);
        },
        Watch = (rv, onError, ct) => client.RbacAuthorizationV1
            .ListClusterRoleWithHttpMessagesAsync(watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)
            .WatchAsync<V1ClusterRole, V1ClusterRoleList>(onError, ct),
        ResourceVersionOf = o => o.Metadata?.ResourceVersion,
    };

    public static ListWatch<V1CertificateSigningRequest> CertificateSigningRequests(IKubernetes client) => new()
    {
        Description = "certificatesigningrequests",
        List = async ct =>
        {
            var list = await client.CertificatesV1.ListCertificateSigningRequestAsync(cancellationToken: ct);
            return (list.Items.ToList(), list.Metadata?.ResourceVersion);
        },
        Watch = (rv, onError, ct) => client.CertificatesV1
            .ListCertificateSigningRequestWithHttpMessagesAsync(watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)
            .WatchAsync<V1CertificateSigningRequest, V1CertificateSigningRequestList>(onError, ct),
        ResourceVersionOf = o => o.Metadata?.ResourceVersion,
    };

    /// <summary>An API type the client has no model for (OpenShift's), across all namespaces, as JSON.</summary>
    public static ListWatch<JsonObject> Untyped(IKubernetes client, ApiResource resource) => new()
    {
        Description = resource.ToString(),
        List = async ct =>
        {
            var list = await client.CustomObjects.ListClusterCustomObjectAsync<JsonObject>(resource.Group, resource.Version, resource.Plural, cancellationToken: ct);
            var items = list["items"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
            return (items, list.Str("metadata", "resourceVersion"));
        },
        Watch = (rv, onError, ct) => client.CustomObjects
            .ListClusterCustomObjectWithHttpMessagesAsync<JsonObject>(resource.Group, resource.Version, resource.Plural,
                watch: true, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, cancellationToken: ct)
            .WatchAsync<JsonObject, JsonObject>(onError, ct),
        ResourceVersionOf = o => o.Str("metadata", "resourceVersion"),
    };
}
