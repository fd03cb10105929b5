using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The namespace's own metadata while the operator manages it: the finalizer <c>quay.redhat.com/quayintegrations</c>
/// (the upstream operator's, so the namespace cannot go before its Quay content is cleaned up), the label
/// <c>quay.redhat.com/managed</c> (<c>pending</c>, then <c>true</c>: the webhook's namespaceSelector) and the
/// annotations <c>quay.redhat.com/organization</c> and <c>quay.redhat.com/organization-ownership</c> that earlier versions
/// wrote and the webhook reads. The annotations mirror the ownership record for the current organization; the record
/// is the truth, and when it is deleted they go with it.
/// </summary>
public sealed class NamespaceClaim(KubeApi api, LiveNamespaces live, ClusterCaches caches, ILogger<NamespaceClaim> log)
{
    /// <summary>
    /// The namespaces as this process last wrote them, until the cache catches up: a reconcile that follows a write
    /// before its watch event arrives (a wait that labelled the namespace, then a sync) would otherwise write the label
    /// again, or send a finalizer patch with the older resourceVersion and be refused.
    /// </summary>
    private readonly ReadYourWrites<V1Namespace> _namespaces = new(caches.Namespaces);

    /// <summary>The namespace as the reconcilers must see it: the cache's copy, or this process's later write.</summary>
    public V1Namespace? Get(ObjectKey key) => _namespaces.Get(key);

    /// <summary>
    /// First thing for a namespace in scope: the label <c>pending</c> (never downgrading <c>true</c>), so from this moment
    /// its Builds reach the webhook, which holds them until the namespace is set up.
    /// </summary>
    public async Task MarkInScopeAsync(NamespaceWork work, CancellationToken ct) => work.Namespace = await MarkInScopeAsync(work.Namespace!, ct);

    /// <inheritdoc cref="MarkInScopeAsync(NamespaceWork, CancellationToken)"/>
    public Task<V1Namespace> MarkInScopeAsync(V1Namespace ns, CancellationToken ct) =>
        Label(ns) is null
            ? ApplyAsync(ns, read => new MetadataPatch(read).Label(WellKnown.ManagedNamespaceLabel, WellKnown.ManagedNamespace.Pending), "labelling it", ct)
            : Task.FromResult(ns);

    /// <summary>
    /// The finalizer, once the ownership record exists and before anything but the organization is created. Never
    /// earlier: a namespace with this finalizer and no record is taken for one the upstream Go operator set up
    /// (<see cref="LegacyOwnership"/>).
    /// </summary>
    public Task ClaimAsync(NamespaceWork work, CancellationToken ct) =>
        ApplyAsync(work, read => new MetadataPatch(read).AddFinalizer(WellKnown.NamespaceFinalizer), "adding its finalizer", ct);

    /// <summary>After a sync: label <c>true</c> and the annotations of the current organization.</summary>
    public Task MarkReadyAsync(NamespaceWork work, CancellationToken ct)
    {
        var ownership = work.Entry?.IsOwned() == true ? WellKnown.Ownership.Owned : WellKnown.Ownership.External;
        return ApplyAsync(work, read => new MetadataPatch(read)
            .Label(WellKnown.ManagedNamespaceLabel, WellKnown.ManagedNamespace.Ready)
            .Annotation(WellKnown.OrganizationAnnotation, work.Organization)
            .Annotation(WellKnown.OwnershipAnnotation, ownership), "marking it synced", ct);
    }

    /// <summary>
    /// No longer managed: finalizer and label go (the webhook stops seeing its builds). The organization annotations
    /// stay as history while the record remembers the organization; with <paramref name="forgetOrganization"/> (the
    /// record is about to be deleted) they go too, so that nothing is left to be read as an earlier version's ownership.
    /// </summary>
    public async Task ReleaseAsync(NamespaceWork work, CancellationToken ct, bool forgetOrganization = false)
    {
        if (work.Namespace is not { } ns) return;
        MetadataPatch Release(V1ObjectMeta read)
        {
            var patch = new MetadataPatch(read).RemoveFinalizer(WellKnown.NamespaceFinalizer).Label(WellKnown.ManagedNamespaceLabel, null);
            // The record is deleted next, and a namespace that still carried the finalizer then would be read as set
            // up by an earlier version: the release must be judged on the namespace as it is, not on a copy that may
            // lag (one from before the finalizer was added would call for no change at all). Written under the
            // resourceVersion read, even when it changes nothing, so a stale copy is refused and read again.
            return forgetOrganization ? patch.Annotation(WellKnown.OrganizationAnnotation, null).Annotation(WellKnown.OwnershipAnnotation, null).Guarded() : patch;
        }
        try
        {
            await ApplyAsync(work, Release, "releasing it", ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            _namespaces.Forget(ObjectKey.Cluster(ns.Metadata.Name));
            work.Namespace = null;
        }
    }

    private async Task ApplyAsync(NamespaceWork work, Func<V1ObjectMeta, MetadataPatch> patch, string what, CancellationToken ct) =>
        work.Namespace = await ApplyAsync(work.Namespace!, patch, what, ct);

    /// <summary>
    /// Writes the patch computed from the namespace as read. A finalizer change carries the resourceVersion it was
    /// computed from (<see cref="MetadataPatch"/>), so another writer's change refuses it; the namespace controller
    /// writes a terminating namespace's status again and again, so a release meets that often. Then the namespace is
    /// read from the API server (a one-item list: the operator may list namespaces, not get them; the cache may still
    /// show a version older than the one refused) and, if it is still the same namespace in the same state of
    /// deletion, the patch is computed again from it, a few times, before the reconcile starts over. A namespace
    /// deleted and made again, or marked for deletion meanwhile, calls for a new decision: the reconcile starts over.
    /// </summary>
    private async Task<V1Namespace> ApplyAsync(V1Namespace ns, Func<V1ObjectMeta, MetadataPatch> compute, string what, CancellationToken ct)
    {
        var key = ObjectKey.Cluster(ns.Metadata.Name);
        for (var attempt = 1; ; attempt++)
        {
            var patch = compute(ns.Metadata);
            if (patch.IsEmpty) return ns;
            try
            {
                var written = await api.PatchAsync<V1Namespace>(ResourceType.Namespaces.ObjectPath(null, ns.Metadata.Name), patch.ToPatch(), ct);
                // A guarded patch that changed nothing only confirmed the version read: nothing to lay over the cache
                // (its reply, of a terminating namespace, would look like the namespace deleted).
                return patch.ChangesNothing ? written : _namespaces.Written(ns, written);
            }
            catch (KubeApiException e) when (e.IsConflict)
            {
                _namespaces.Forget(key);
                var changed = new ReconcileException($"namespace {ns.Metadata.Name} changed while {what}; retrying");
                if (attempt == ConflictAttempts) throw changed;
                var current = await ReadFromServerAsync(ns.Metadata.Name, ct)
                              ?? throw new KubeApiException(System.Net.HttpStatusCode.NotFound, "NotFound", $"namespaces \"{ns.Metadata.Name}\" not found");
                if (current.Metadata.Uid != ns.Metadata.Uid || (current.Metadata.DeletionTimestamp is null) != (ns.Metadata.DeletionTimestamp is null)) throw changed;
                log.NamespacePatchRecomputed(ns.Metadata.Name, what, current.Metadata.ResourceVersion);
                ns = current;
            }
        }
    }

    private const int ConflictAttempts = 3;

    /// <inheritdoc cref="LiveNamespaces.ReadAsync"/>
    public Task<V1Namespace?> ReadFromServerAsync(string name, CancellationToken ct) => live.ReadAsync(name, ct);

    private static string? Label(V1Namespace ns) =>
        ns.Metadata.Labels is { } l && l.TryGetValue(WellKnown.ManagedNamespaceLabel, out var v) ? v : null;
}
