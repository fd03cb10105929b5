using k8s.Models;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers.Namespaces;

public enum NamespaceAction
{
    /// <summary>Nothing of the operator's is involved.</summary>
    Nothing,
    /// <summary>The namespace is (or may be) the operator's, but nothing can be done now; the reason says why.</summary>
    Wait,
    /// <summary>More than one QuayIntegration selects it: none touches it until only one does.</summary>
    Conflict,
    /// <summary>Bring the namespace's Quay organization, robots, repositories, Secrets and links in step.</summary>
    Sync,
    /// <summary>Stop managing it: remove what the operator created if cleanupPolicy is Delete, then the finalizer.</summary>
    Release,
    /// <summary>The namespace is going or gone: remove what the operator created for it, then let it go.</summary>
    Teardown,
}

/// <summary>
/// What a namespace needs now and under which QuayIntegration, decided from the cluster, the ownership record and the
/// integrations alone (no I/O).
/// <list type="bullet">
/// <item>The integration that selects the namespace (its <c>namespaceSelector</c>, allow and deny lists) syncs it; two
/// that select it are a conflict for this namespace only.</item>
/// <item>What was created is always undone under the integration that created it (the record names it): its Quay, its
/// token, its policies. A namespace that moves to another integration is first released by the one it leaves.</item>
/// </list>
/// <see cref="Integration"/>: the integration to act under (null for a release no integration can help with).
/// <see cref="InScope"/>: the namespace is one an integration should manage (so while it waits, its builds are held).
/// <see cref="MovesTo"/>: the release is the first half of a move; the integration named syncs it right after.
/// <see cref="ForDeletedNamespace"/>: the record speaks for a namespace deleted before the one now under its name was
/// made; the action is that one's, and the new namespace is not touched.
/// </summary>
public sealed record NamespaceIntent(
    NamespaceAction Action,
    string Reason,
    IntegrationSnapshot? Integration = null,
    bool InScope = false,
    IReadOnlyList<string>? Conflicting = null,
    string? MovesTo = null,
    bool ForDeletedNamespace = false)
{
    private const string NotJudgedYet = "the operator has not judged the QuayIntegrations yet";

    /// <summary>Waiting only because the operator has just started and not judged the QuayIntegrations yet: nothing is wrong.</summary>
    public bool BeforeIntegrationsAreKnown => Action == NamespaceAction.Wait && Reason == NotJudgedYet;

    public static NamespaceIntent Decide(V1Namespace? ns, OwnershipDraft record, IntegrationSet integrations, NamespaceScope scope)
    {
        var held = ns?.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true;
        var recorded = record.Stored is not null;
        var ours = held || recorded;
        if (!integrations.Known)
            return ours ? new(NamespaceAction.Wait, NotJudgedYet) : Nothing;
        var selecting = ns is null ? [] : integrations.All.Where(i => i.Selects && scope.Selects(ns, i.Config!)).ToList();
        // A namespace no record speaks for, which the rule for records written before several integrations cannot give
        // to one, belongs to the one integration that selects it, if there is one: its deletion, say, is then undone
        // under that integration rather than waited on. (The QuayIntegration reconciler does not count it as held for
        // that integration: an integration being deleted selects nothing, so it never gets here.)
        var owner = Owner(record, held, integrations) ?? (!recorded && selecting.Count == 1 ? selecting[0] : null);
        var unread = RemembersWhatNoIntegrationCanRead(held, record, owner, integrations);

        // A namespace made under the name of one whose teardown is still owed (its organization kept for someone's
        // content, say) is not the record's: out of scope, the record goes on as that of a deleted namespace, rather
        // than being "released" with the new one under cleanupPolicy Keep and its deletion forgotten. (In scope, the
        // new namespace takes the record on, and its organization with it.)
        var deletedBefore = ns is not null && selecting.Count == 0 && RecordsAnEarlierNamespace(ns, record, held);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || deletedBefore)
        {
            if (!ours) return Nothing;
            if (unread is not null) return unread;
            return (owner?.Mode switch
            {
                null => new(NamespaceAction.Release, "no QuayIntegration can act for it"),
                IntegrationMode.NotReady => new(NamespaceAction.Wait, NotReady(owner), owner),
                IntegrationMode.Deleting => Released(owner, $"the namespace was deleted while QuayIntegration {owner.Name} is being deleted"),
                _ when held || !record.Released || record.Spec.MovingTo is not null => new(NamespaceAction.Teardown, "the namespace was deleted", owner),
                _ => new(NamespaceAction.Release, "the namespace was deleted after it stopped being managed", owner),
            }) with { ForDeletedNamespace = deletedBefore };
        }

        if (selecting.Count > 1)
        {
            var names = selecting.Select(i => i.Name).ToList();
            return new(NamespaceAction.Conflict,
                $"QuayIntegrations {string.Join(" and ", names)} both select the namespace; neither manages it until only one does", Conflicting: names);
        }
        if (selecting.Count == 0)
        {
            if (!ours) return Nothing;
            if (unread is not null) return unread;
            // Half-way through a move, to an integration whose configuration cannot be read now: whether it still
            // selects the namespace cannot be told, so the namespace is held for it (its builds denied with the reason)
            // rather than let go, its builds passing untouched to the internal registry. (Not while the integration it
            // left is being deleted: what that one kept is released under its deletion first, as the deletion expects,
            // and that release keeps movingTo, so the hold comes back once it is gone, if the record stays.)
            var movingTo = record.Released ? record.Spec.MovingTo : null;
            if (movingTo is not null && owner?.Mode != IntegrationMode.Deleting
                && integrations.Get(movingTo) is { Mode: IntegrationMode.NotReady, Config: null } next)
                return new(NamespaceAction.Wait, $"the namespace moves to QuayIntegration {next.Name}, which cannot be used now: {next.Reason}", next, InScope: true);
            return owner?.Mode switch
            {
                null => new(NamespaceAction.Release, "no QuayIntegration selects it"),
                IntegrationMode.NotReady => new(NamespaceAction.Wait, NotReady(owner), owner),
                IntegrationMode.Deleting => Released(owner, $"QuayIntegration {owner.Name} is being deleted"),
                _ => new(NamespaceAction.Release,
                    $"QuayIntegration {owner.Name} no longer selects it (namespaceSelector, allowlist, denylist or reserved name)", owner),
            };
        }

        var target = selecting[0];
        if (owner is not null && owner.Name != target.Name && recorded && !record.Released)
        {
            // Moving: what the integration it leaves created is released under that integration's policies first.
            return owner.Mode == IntegrationMode.NotReady
                ? new(NamespaceAction.Wait, $"the namespace moves to QuayIntegration {target.Name} once {NotReady(owner)}", owner)
                : Released(owner, $"the namespace moved to QuayIntegration {target.Name}", target.Name);
        }
        if (target.Mode == IntegrationMode.NotReady) return new(NamespaceAction.Wait, NotReady(target), target, InScope: true);
        if (!NamespaceRules.IsReady(ns))
            return new(NamespaceAction.Wait, $"the project has no {WellKnown.OpenShiftSccMcs} annotation yet", target, InScope: true);
        return new(NamespaceAction.Sync, "selected", target);
    }

    /// <summary>
    /// The record was written for a namespace of this name that is gone: not released (its namespace was deleted while
    /// managed, its teardown not finished), naming another uid, and this namespace does not carry the finalizer.
    /// </summary>
    private static bool RecordsAnEarlierNamespace(V1Namespace ns, OwnershipDraft record, bool held) =>
        !held && record.Stored is not null && !record.Released
        && record.Spec.NamespaceUid is { Length: > 0 } uid && !string.Equals(uid, ns.Metadata.Uid, StringComparison.Ordinal);

    /// <summary>
    /// A release under <paramref name="owner"/>, unless it is being deleted with cleanupPolicy Delete and has no Quay
    /// client (its token or CA cannot be read): then nothing it created could be deleted, and releasing would keep it
    /// all without a word, so the namespace waits for the token, or for the policy to become Keep.
    /// </summary>
    private static NamespaceIntent Released(IntegrationSnapshot owner, string reason, string? movesTo = null) =>
        owner is { Mode: IntegrationMode.Deleting, Config.DeleteOrganizationsOnCleanup: true, Client: null }
            ? new(NamespaceAction.Wait, $"QuayIntegration {owner.Name} is being deleted and {owner.Reason} ({reason})", owner)
            : new(NamespaceAction.Release, reason, owner, MovesTo: movesTo);

    /// <summary>
    /// The integration that created what the record holds. Records written before several integrations existed name
    /// none: theirs is the integration of the Quay their organization lives on, or the only one.
    /// </summary>
    private static IntegrationSnapshot? Owner(OwnershipDraft record, bool held, IntegrationSet integrations)
    {
        if (record.Spec.Integration is { } name) return integrations.Get(name);
        if (record.Stored is null && !held) return null;
        return integrations.Get(LegacyOwner(record.Organizations.Select(o => o.Host), integrations.All.Select(i => (i.Name, i.Config?.RegistryHost)).ToList()));
    }

    /// <summary>
    /// The one rule for a record that names no integration (written before several existed): it belongs to the oldest
    /// integration whose Quay holds one of its organizations, else to the only integration there is, else to none.
    /// The namespace reconciler acts under it and the QuayIntegration reconciler waits for it before an integration's
    /// finalizer goes, so both must answer alike: with two integrations on one Quay, only the oldest holds the namespace.
    /// </summary>
    /// <param name="recordHosts">The registry hosts of the record's organizations.</param>
    /// <param name="oldestFirst">Every integration (name and registry host, null when its configuration cannot be read), oldest first.</param>
    public static string? LegacyOwner(IEnumerable<string> recordHosts, IReadOnlyList<(string Name, string? Host)> oldestFirst)
    {
        var hosts = recordHosts.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, host) in oldestFirst)
        {
            if (host is not null && hosts.Contains(host)) return name;
        }
        return oldestFirst.Count == 1 ? oldestFirst[0].Name : null;
    }

    /// <summary>
    /// Held by the finalizer with no record, the namespace alone remembers what an earlier version of the
    /// operator, or the Go operator, created for it (its finalizer, its annotations). Reading that into the record takes
    /// an integration's configuration, for the Quay and the organization prefix (<see cref="LegacyOwnership"/>); with
    /// none to act under, letting the namespace go would forget it, so it waits instead, for such an integration, or for
    /// someone to remove the finalizer.
    /// </summary>
    private static NamespaceIntent? RemembersWhatNoIntegrationCanRead(bool held, OwnershipDraft record, IntegrationSnapshot? owner, IntegrationSet integrations)
    {
        if (!held || record.Stored is not null || owner?.Config is not null || owner?.Mode == IntegrationMode.NotReady) return null;
        var why = owner is not null ? $"the configuration of QuayIntegration {owner.Name} cannot be read"
            : integrations.All.Count == 0 ? "none exists" : "several exist, and not exactly one of them selects it";
        return new(NamespaceAction.Wait,
            $"what an earlier version of the operator created in Quay for it is remembered only by the namespace (its finalizer {WellKnown.NamespaceFinalizer}), " +
            $"and no QuayIntegration says which Quay and organization prefix that was ({why}); it is kept until one does, " +
            "or until someone removes the finalizer, which lets the namespace go and forgets what it remembers", owner);
    }

    private static string NotReady(IntegrationSnapshot integration) => $"QuayIntegration {integration.Name} is not ready: {integration.Reason}";

    private static readonly NamespaceIntent Nothing = new(NamespaceAction.Nothing, "");
}
