using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// Keeps a fixed set of service accounts in every active namespace, as kube-controller-manager does for <c>default</c>
/// and openshift-controller-manager for <c>builder</c> and <c>deployer</c> (one instance per manager). They are created
/// a little after the namespace (never in the same request), and recreated if deleted, except in a Terminating
/// namespace, where the server would refuse them anyway.
/// </summary>
public sealed class ServiceAccountsController(k8s.Kubernetes client, string name, IReadOnlyList<string> serviceAccountNames, TimeSpan creationDelay, ILogger logger) : IClusterController
{
    // What the service account watch has shown to exist: the controller creates only what is missing, as an informer cache lets it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Namespace, string Name), bool> _existing = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _activeNamespaces = new();

    public string Name { get; } = name;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<string>(Name, logger);
        var namespaces = ListWatches.Namespaces(client).RunAsync((type, ns) =>
        {
            if (type != WatchEventType.Deleted && IsActive(ns))
            {
                _activeNamespaces[ns.Metadata.Name] = true;
                queue.EnqueueAfter(ns.Metadata.Name, creationDelay, cancellationToken);
            }
            else
            {
                _activeNamespaces.TryRemove(ns.Metadata.Name, out _);
            }
        }, logger, cancellationToken);
        var serviceAccounts = ListWatches.ServiceAccounts(client).RunAsync((type, sa) =>
        {
            if (!serviceAccountNames.Contains(sa.Metadata.Name))
            {
                return;
            }
            var key = (sa.Metadata.NamespaceProperty, sa.Metadata.Name);
            if (type == WatchEventType.Deleted)
            {
                _existing.TryRemove(key, out _);
                queue.Enqueue(sa.Metadata.NamespaceProperty);
            }
            else
            {
                _existing[key] = true;
            }
        }, logger, cancellationToken, onRelist: () =>
        {
            // Deletions missed while the watch was down leave no event: start over from the list, and look at every namespace again.
            _existing.Clear();
            foreach (var ns in _activeNamespaces.Keys)
            {
                queue.EnqueueAfter(ns, creationDelay, cancellationToken);
            }
        });
        await Task.WhenAll(namespaces, serviceAccounts, queue.RunAsync(ReconcileAsync, workers: 2, cancellationToken));
    }

    private async Task<ReconcileResult> ReconcileAsync(string ns, CancellationToken cancellationToken)
    {
        V1Namespace current;
        try
        {
            current = await client.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return ReconcileResult.Done;
        }
        if (!IsActive(current))
        {
            return ReconcileResult.Done;
        }
        foreach (var serviceAccount in serviceAccountNames.Where(sa => !_existing.ContainsKey((ns, sa))))
        {
            try
            {
                await client.CoreV1.CreateNamespacedServiceAccountAsync(
                    new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = serviceAccount, NamespaceProperty = ns } }, ns, cancellationToken: cancellationToken);
                _existing[(ns, serviceAccount)] = true;
                logger.LogDebug("{Controller}: created service account {Namespace}/{ServiceAccount}", Name, ns, serviceAccount);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
            {
                // 409: it exists already; 403: the namespace started terminating; 404: the namespace is gone.
            }
        }
        return ReconcileResult.Done;
    }

    private static bool IsActive(V1Namespace ns) => ns.Metadata.DeletionTimestamp is null && ns.Status?.Phase != "Terminating";
}
