using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// kube-controller-manager's namespace controller. For a Terminating namespace still carrying the <c>kubernetes</c>
/// finalizer in <c>spec.finalizers</c>: discover every namespaced resource, delete all of it, report progress in the
/// namespace's deletion conditions, and once nothing is left remove <c>kubernetes</c> through <c>/finalize</c>.
/// Deleting the namespace object itself is the API server's business: it goes when both finalizer lists are empty.
/// Content is deleted whatever the namespace's own metadata finalizers (e.g. the operator's) say.
/// </summary>
public sealed class NamespaceDeletionController(k8s.Kubernetes client, DynamicApi dynamicApi, TimeSpan remainingContentRecheck, ILogger logger) : IClusterController
{
    public const string KubernetesFinalizer = "kubernetes";

    public string Name => "namespace-deletion";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<string>(Name, logger);
        var watch = ListWatches.Namespaces(client).RunAsync((type, ns) =>
        {
            if (type != WatchEventType.Deleted && ns.Metadata.DeletionTimestamp is not null)
            {
                queue.Enqueue(ns.Metadata.Name);
            }
        }, logger, cancellationToken);
        await Task.WhenAll(watch, queue.RunAsync(ReconcileAsync, workers: 2, cancellationToken));
    }

    private async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        var ns = await ReadAsync(name, cancellationToken);
        if (ns?.Metadata.DeletionTimestamp is null || !(ns.Spec?.Finalizers?.Contains(KubernetesFinalizer) ?? false))
        {
            return ReconcileResult.Done;
        }

        var discovery = await dynamicApi.DiscoverAsync(cancellationToken);
        var conditions = new List<V1NamespaceCondition>
        {
            discovery.FailedGroupVersions.Count == 0
                ? Condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered")
                : Condition("NamespaceDeletionDiscoveryFailure", true, "DiscoveryFailed",
                    $"Discovery failed for some groups, {discovery.FailedGroupVersions.Count} failing: "
                    + string.Join(", ", discovery.FailedGroupVersions.Select(f => $"{f.Key}: {f.Value}"))),
            Condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
        };

        var deletionErrors = new List<string>();
        var remaining = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var remainingFinalizers = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var resource in discovery.Resources.Where(r => r.Namespaced && r.Verbs.Contains("delete") && r.Verbs.Contains("list")))
        {
            try
            {
                await DeleteAllAsync(resource, name, remaining, remainingFinalizers, cancellationToken);
            }
            catch (Exception exception) when (exception is DynamicApiException or HttpRequestException)
            {
                deletionErrors.Add(exception.Message);
            }
        }

        conditions.Add(deletionErrors.Count == 0
            ? Condition("NamespaceDeletionContentFailure", false, "ContentDeleted", "All content successfully deleted, may be waiting on finalization")
            : Condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed", "Failed to delete all resource types, "
                + $"{deletionErrors.Count} remaining: {string.Join(", ", deletionErrors)}"));
        conditions.Add(remaining.Count == 0
            ? Condition("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed")
            : Condition("NamespaceContentRemaining", true, "SomeResourcesRemain",
                "Some resources are remaining: " + string.Join(", ", remaining.Select(r => $"{r.Key} has {r.Value} resource instances"))));
        conditions.Add(remainingFinalizers.Count == 0
            ? Condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers", "All content-preserving finalizers finished")
            : Condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: " + string.Join(", ", remainingFinalizers.Select(f => $"{f.Key} in {f.Value} resource instances"))));

        await WriteConditionsAsync(name, conditions, cancellationToken);

        if (remaining.Count > 0 || deletionErrors.Count > 0 || discovery.FailedGroupVersions.Count > 0)
        {
            // Content with finalizers (or a failing group) keeps the namespace; look again shortly, as the real controller does.
            return ReconcileResult.After(remainingContentRecheck);
        }

        await RemoveKubernetesFinalizerAsync(name, cancellationToken);
        return ReconcileResult.Done;
    }

    private async Task DeleteAllAsync(DiscoveredResource resource, string ns, IDictionary<string, int> remaining, IDictionary<string, int> remainingFinalizers, CancellationToken cancellationToken)
    {
        var collection = resource.CollectionPath(ns);
        var deletedAsCollection = resource.Verbs.Contains("deletecollection")
            && (await dynamicApi.DeleteAsync(collection, cancellationToken)) is not (HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound);
        var items = await ListAsync(collection, cancellationToken);
        if (!deletedAsCollection)
        {
            foreach (var item in items.Where(i => i.Str("metadata", "deletionTimestamp") is null))
            {
                await dynamicApi.DeleteAsync($"{collection}/{Uri.EscapeDataString(item.Name())}", cancellationToken);
            }
            items = await ListAsync(collection, cancellationToken);
        }
        if (items.Count == 0)
        {
            return;
        }
        remaining[resource.GroupResource] = items.Count;
        foreach (var finalizer in items.SelectMany(i => i["metadata"]?["finalizers"]?.AsArray().Select(f => f?.GetValue<string>()) ?? []).OfType<string>())
        {
            remainingFinalizers[finalizer] = remainingFinalizers.TryGetValue(finalizer, out var count) ? count + 1 : 1;
        }
    }

    private async Task<IReadOnlyList<JsonObject>> ListAsync(string collection, CancellationToken cancellationToken)
    {
        try
        {
            var list = await dynamicApi.GetAsync(collection, cancellationToken);
            return list["items"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        }
        catch (DynamicApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    /// <summary>Writes the deletion conditions through <c>/status</c>, only when they say something new.</summary>
    private async Task WriteConditionsAsync(string name, IReadOnlyList<V1NamespaceCondition> conditions, CancellationToken cancellationToken)
    {
        var ns = await ReadAsync(name, cancellationToken);
        if (ns is null)
        {
            return;
        }
        ns.Status ??= new V1NamespaceStatus();
        var current = ns.Status.Conditions?.ToList() ?? [];
        var changed = false;
        foreach (var condition in conditions)
        {
            var existing = current.FirstOrDefault(c => c.Type == condition.Type);
            if (existing is not null && existing.Status == condition.Status && existing.Reason == condition.Reason && existing.Message == condition.Message)
            {
                continue;
            }
            if (existing is not null && existing.Status == condition.Status)
            {
                condition.LastTransitionTime = existing.LastTransitionTime;
            }
            current.Remove(existing!);
            current.Add(condition);
            changed = true;
        }
        if (!changed)
        {
            return;
        }
        ns.Status.Conditions = current;
        try
        {
            await client.CoreV1.ReplaceNamespaceStatusAsync(ns, name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private async Task RemoveKubernetesFinalizerAsync(string name, CancellationToken cancellationToken)
    {
        var ns = await ReadAsync(name, cancellationToken);
        if (ns?.Spec?.Finalizers is null || !ns.Spec.Finalizers.Contains(KubernetesFinalizer))
        {
            return;
        }
        ns.Spec.Finalizers = ns.Spec.Finalizers.Where(f => f != KubernetesFinalizer).ToList();
        try
        {
            await client.CoreV1.ReplaceNamespaceFinalizeAsync(ns, name, cancellationToken: cancellationToken);
            logger.LogInformation("namespace {Namespace}: content removed, finalizer {Finalizer} released", name, KubernetesFinalizer);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private async Task<V1Namespace?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static V1NamespaceCondition Condition(string type, bool problem, string reason, string message) => new()
    {
        Type = type,
        Status = problem ? "True" : "False",
        Reason = reason,
        Message = message,
        LastTransitionTime = DateTime.UtcNow,
    };
}
