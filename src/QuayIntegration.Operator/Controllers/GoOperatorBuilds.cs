using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Webhook;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Takes over the Builds the Go Quay Bridge Operator rewrote and had not imported yet. It wrote the same annotations as
/// this operator's webhook but not its label, so the Build informer (which selects by that label) would never see
/// them: each one still running or complete gets the label, and <see cref="BuildReconciler"/> then imports it once it
/// completes, exactly once (the imported annotation, the Go operator's too, marks it done). The Go operator imported
/// only on a Build update after completion, so one that completed while it was down is imported here as well, unless
/// a newer image has reached its tag since (the reconciler then skips it rather than roll the tag back).
/// Runs once each time this replica starts leading; new Builds come through this operator's webhook with the label.
/// </summary>
public sealed class GoOperatorBuilds(KubeApi api, ILogger<GoOperatorBuilds> log)
{
    private const int PageSize = 500;

    /// <summary>Adopts, retrying with backoff while the API server fails, until done or <paramref name="ct"/> stops it.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        for (var failures = 0; ; failures++)
        {
            try
            {
                await AdoptAsync(ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is KubeApiException or KubeApiTimeoutException or HttpRequestException)
            {
                var delay = Backoff.Delay(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), failures);
                log.GoOperatorBuildsNotAdopted(e.Message, delay);
                try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    public async Task AdoptAsync(CancellationToken ct)
    {
        var adopted = 0;
        string? next = null;
        try
        {
            do
            {
                var page = await api.ListPageAsync<Build>(ApiResources.Builds.CollectionPath(null),
                    "labelSelector=" + Uri.EscapeDataString("!" + BuildAnnotations.ManagedBuildLabel), PageSize, next, ct);
                foreach (var build in page.Items.Where(IsPending))
                    if (await LabelAsync(build, ct)) adopted++;
                next = page.Continue;
            } while (next is not null);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return; // no OpenShift Build API on this cluster
        }
        if (adopted > 0) log.GoOperatorBuildsAdopted(adopted);
    }

    /// <summary>Rewritten by the Go operator, not imported, and not ended without an image.</summary>
    public static bool IsPending(Build build) =>
        BuildReconciler.IsManaged(build) && !BuildReconciler.IsImported(build) && !BuildReconciler.IsSkipped(build)
        && build.Metadata.DeletionTimestamp is null
        && !BuildReconciler.EndedWithoutImage(build);

    /// <summary>A label is set key by key, so the patch needs no precondition and never conflicts with the build controller.</summary>
    private async Task<bool> LabelAsync(Build build, CancellationToken ct)
    {
        var patch = new MetadataPatch(build.Metadata).Label(BuildAnnotations.ManagedBuildLabel, "true");
        try
        {
            await api.PatchAsync<Build>(ApiResources.Builds.ObjectPath(build.Metadata.NamespaceProperty, build.Metadata.Name),
                patch.ToPatch(), ct);
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return false; // deleted meanwhile
        }
    }
}
