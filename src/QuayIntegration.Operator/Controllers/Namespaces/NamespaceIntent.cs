using k8s.Models;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers.Namespaces;

public enum NamespaceAction
{
    /// <summary>Nothing of the operator's is involved.</summary>
    Nothing,
    /// <summary>The namespace is (or may be) the operator's, but nothing can be done now; the reason says why.</summary>
    Wait,
    /// <summary>Bring the namespace's Quay organization, robots, repositories, Secrets and links in step.</summary>
    Sync,
    /// <summary>Stop managing it: remove what the operator created if cleanupPolicy is Delete, then the finalizer.</summary>
    Release,
    /// <summary>The namespace is going or gone: remove what the operator created for it, then let it go.</summary>
    Teardown,
}

/// <summary>
/// What a namespace needs now, decided from the cluster, the ownership record and the integration alone (no I/O).
/// <see cref="InScope"/>: the namespace is one the operator should manage (so while it waits, its builds are held).
/// </summary>
public sealed record NamespaceIntent(NamespaceAction Action, string Reason, bool InScope = false)
{
    public static NamespaceIntent Decide(V1Namespace? ns, OwnershipDraft record, IntegrationSnapshot integration, NamespaceScope scope)
    {
        var held = ns?.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true;
        var recorded = record.Stored is not null;
        var ours = held || recorded;
        var gone = ns is null || ns.Metadata.DeletionTimestamp is not null;
        switch (integration.Mode)
        {
            case IntegrationMode.Conflict:
                return ours ? new(NamespaceAction.Wait, "more than one QuayIntegration exists; nothing is done until one remains") : Nothing;
            case IntegrationMode.None:
                return held || (recorded && !record.Released) ? new(NamespaceAction.Release, "no QuayIntegration exists") : Nothing;
            case IntegrationMode.Deleting:
                return ours ? new(NamespaceAction.Release, "the QuayIntegration is being deleted") : Nothing;
            case IntegrationMode.NotReady:
                var inScope = integration.Config is { } config && ns is not null && scope.Includes(ns.Metadata.Name, config);
                return ours || inScope ? new(NamespaceAction.Wait, $"the QuayIntegration is not ready: {integration.Reason}", inScope && ns!.Metadata.DeletionTimestamp is null) : Nothing;
        }

        if (gone)
        {
            if (held) return new(NamespaceAction.Teardown, "the namespace is being deleted");
            if (!recorded) return Nothing;
            return record.Released
                ? new(NamespaceAction.Release, "the namespace was deleted after it stopped being managed")
                : new(NamespaceAction.Teardown, "the namespace was deleted");
        }
        if (!scope.Includes(ns!.Metadata.Name, integration.Config!))
            return ours ? new(NamespaceAction.Release, "the namespace is no longer in scope (allowlist, denylist or reserved name)") : Nothing;
        if (!NamespaceRules.IsReady(ns))
            return new(NamespaceAction.Wait, $"the project has no {WellKnown.OpenShiftSccMcs} annotation yet", InScope: true);
        return new(NamespaceAction.Sync, "in scope");
    }

    private static readonly NamespaceIntent Nothing = new(NamespaceAction.Nothing, "");
}
