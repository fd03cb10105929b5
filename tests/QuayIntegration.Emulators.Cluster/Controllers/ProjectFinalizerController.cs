using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// openshift-controller-manager's project finalizer controller: a project namespace carries the
/// <c>openshift.io/origin</c> entry in <c>spec.finalizers</c>; as soon as the namespace is Terminating the controller
/// removes it through <c>/finalize</c> (OpenShift's own per-project content is gone with the namespace's content).
/// </summary>
public sealed class ProjectFinalizerController(k8s.Kubernetes client, ILogger logger) : IClusterController
{
    public const string OriginFinalizer = "openshift.io/origin";

    public string Name => "project-finalizer";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<string>(Name, logger);
        var watch = ListWatches.Namespaces(client).RunAsync((type, ns) =>
        {
            if (type != WatchEventType.Deleted && ns.Metadata.DeletionTimestamp is not null && (ns.Spec?.Finalizers?.Contains(OriginFinalizer) ?? false))
            {
                queue.Enqueue(ns.Metadata.Name);
            }
        }, logger, cancellationToken);
        await Task.WhenAll(watch, queue.RunAsync(ReconcileAsync, workers: 1, cancellationToken));
    }

    private async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var ns = await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken);
            if (ns.Metadata.DeletionTimestamp is null || !(ns.Spec?.Finalizers?.Contains(OriginFinalizer) ?? false))
            {
                return ReconcileResult.Done;
            }
            ns.Spec.Finalizers = ns.Spec.Finalizers.Where(f => f != OriginFinalizer).ToList();
            await client.CoreV1.ReplaceNamespaceFinalizeAsync(ns, name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
        return ReconcileResult.Done;
    }
}
