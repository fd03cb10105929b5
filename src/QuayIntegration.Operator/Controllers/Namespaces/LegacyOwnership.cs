using System.Diagnostics.CodeAnalysis;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Ownership decided before the ownership record existed, read from the namespace once, when it has no record yet:
/// <list type="bullet">
/// <item>earlier versions of this operator annotated the namespace with its organization and
/// <c>owned</c> / <c>pending</c> / <c>external</c>, which become Created, Creating and Found;</item>
/// <item>the upstream Go operator left only its finalizer (the same <c>quay.redhat.com/quayintegrations</c>): it created,
/// or adopted, the organization <c>&lt;clusterID, lower-cased&gt;_&lt;namespace&gt;</c> (its CRD has an
/// organizationPrefix field, which it never read when naming) and deleted it with the namespace, so that organization is
/// recorded Created, keeping that behaviour, and marked adopted from it: the robots and repositories it made carry no
/// mark, and count as this operator's (<see cref="OwnershipMarkers.OriginOf"/>). Under a prefix that gives another name
/// the namespace keeps it (<see cref="OrganizationRecord.KeptWhilePrefix"/>): the takeover moves nothing and breaks no
/// pull, and what the Go operator made is never taken for what someone made under the prefix's name.</item>
/// </list>
/// The caller saves the record before it adds its own finalizer (<see cref="NamespaceClaim.ClaimAsync"/>), which would
/// otherwise look like the Go operator's after a crash.
/// </summary>
public static class LegacyOwnership
{
    /// <summary>
    /// Whether <see cref="Adopt"/> would read anything from the namespace: no record yet, and the namespace shows the
    /// organization annotation or the finalizer. The caller then reads the namespace from the API server first: a
    /// cached copy that lags (one from before a release that let the record go) would have an earlier version's
    /// ownership read from what this version wrote and has since removed.
    /// </summary>
    public static bool WouldRead([NotNullWhen(true)] V1Namespace? ns, OwnershipDraft record) =>
        ns is not null && record.Stored is null && record.IsEmpty
        && (ns.Metadata.Annotations?.ContainsKey(WellKnown.OrganizationAnnotation) == true || ns.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true);

    /// <summary>
    /// Whether <see cref="Adopt"/> would take the namespace over from the Go operator: read, with its finalizer and no
    /// organization annotation of this operator's earlier versions.
    /// </summary>
    public static bool WouldTakeOverFromGoOperator([NotNullWhen(true)] V1Namespace? ns, OwnershipDraft record) =>
        WouldRead(ns, record) && ns.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true
        && !(ns.Metadata.Annotations?.TryGetValue(WellKnown.OrganizationAnnotation, out var org) == true && org.Length > 0);

    /// <summary>
    /// Adds what the namespace's metadata says to a record not written yet; true when it added anything. A record
    /// written already, even one left empty for a moment (a teardown whose release of the namespace failed), says what
    /// this version did, and the annotations it wrote itself say nothing more.
    /// </summary>
    /// <param name="ignored">Why what the namespace says was not taken (annotations copied from another namespace), or null.</param>
    /// <param name="goOrganization">The organization the Go operator named for this namespace (<see cref="GoOperatorOrganization"/>); empty when none can be named.</param>
    /// <param name="prefixOrganization">The organization the integration's prefix gives the namespace (empty when none).</param>
    /// <param name="prefix">The integration's organizationPrefix, kept on an adopted organization the prefix does not name.</param>
    public static bool Adopt(V1Namespace? ns, OwnershipDraft record, string host, string goOrganization, string prefixOrganization, string prefix, out string? ignored)
    {
        ignored = null;
        if (!WouldRead(ns, record)) return false;
        var annotations = ns.Metadata.Annotations ?? new Dictionary<string, string>();
        if (annotations.TryGetValue(WellKnown.OrganizationAnnotation, out var org) && org.Length > 0)
        {
            // Annotations travel with a namespace's YAML: a namespace created from another's (a copy, a restore under a
            // new name) carries the other's organization, which is not this one's to own, let alone delete. The
            // operator only ever wrote a namespace's own organization (under some prefix), so anything else is a copy,
            // and so is its finalizer.
            if (!QuayNames.IsOrganizationNameOf(org, ns.Metadata.Name))
            {
                ignored = $"its annotation {WellKnown.OrganizationAnnotation}={UserText.Quote(org)} names the organization of another namespace " +
                          "(copied with the namespace's YAML?); nothing in it is taken as this namespace's";
                return false;
            }
            var origin = annotations.TryGetValue(WellKnown.OwnershipAnnotation, out var ownership) ? ownership switch
            {
                WellKnown.Ownership.Owned => Origin.Created,
                WellKnown.Ownership.Pending => Origin.Creating,
                _ => Origin.Found,
            } : Origin.Found;
            record.SetOrganization(host, org, origin);
            return true;
        }
        if (ns.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) != true || goOrganization.Length == 0) return false;
        var entry = record.SetOrganization(host, goOrganization, Origin.Created);
        entry.AdoptedFrom = OrganizationRecord.AdoptedFromGoOperator;
        if (goOrganization != prefixOrganization) entry.KeptWhilePrefix = prefix;
        return true;
    }

    /// <summary>
    /// The organization taken over from the Go operator that the namespace keeps under <paramref name="prefix"/> (see
    /// <see cref="OrganizationRecord.KeptWhilePrefix"/>), or null. Found too: one someone made that the Go operator only
    /// used (<see cref="TakeoverInventory"/>) is still the one the namespace pulls from.
    /// </summary>
    public static string? KeptOrganization(OwnershipDraft record, string host, string prefix) =>
        record.Organizations.FirstOrDefault(o => IsKeptUnder(o, host, prefix))?.Name;

    /// <summary>Whether <paramref name="entry"/> is the organization taken over from the Go operator that the namespace keeps under <paramref name="prefix"/>.</summary>
    public static bool IsKeptUnder(OrganizationRecord entry, string host, string prefix) =>
        entry.Host == host && entry.KeptWhilePrefix == prefix && entry.AdoptedFrom == OrganizationRecord.AdoptedFromGoOperator
        && entry.Origin is Origin.Created or Origin.Found;

    /// <summary>
    /// Lets go of a kept organization once the prefix is another: the namespace has moved on, and a prefix changed back
    /// later moves it to the prefix's organization, as any prefix change does, rather than back to the Go operator's.
    /// </summary>
    public static void ForgetKeptUnder(OwnershipDraft record, string prefix)
    {
        foreach (var entry in record.Organizations)
            if (entry.KeptWhilePrefix is { } kept && kept != prefix) entry.KeptWhilePrefix = null;
    }

    /// <summary>
    /// The organization the Go operator made for a namespace: its cluster ID, lower-cased, an underscore and the
    /// namespace, whatever organizationPrefix said; empty when that is no valid organization name (the Go operator's
    /// create failed then, and made nothing).
    /// </summary>
    public static string GoOperatorOrganization(string clusterId, string kubernetesNamespace)
    {
        var name = $"{clusterId.ToLowerInvariant()}_{kubernetesNamespace}";
        return QuayNames.IsValidNamespace(name) ? name : "";
    }

    /// <summary>The cluster ID the Go operator named <paramref name="goOrganization"/> after (<see cref="GoOperatorOrganization"/>).</summary>
    public static string ClusterIdOf(string goOrganization, string kubernetesNamespace) =>
        goOrganization.EndsWith("_" + kubernetesNamespace, StringComparison.Ordinal) ? goOrganization[..^(kubernetesNamespace.Length + 1)] : "";

    /// <summary>
    /// The cluster IDs the Go operator's Secrets among <paramref name="secrets"/> (of the namespace) were named after:
    /// a Secret <c>&lt;sa&gt;-quay-&lt;id&gt;</c> for a service account of its fixed matrix, without this operator's label,
    /// holding the login of that account's robot in the organization <c>&lt;id&gt;_&lt;namespace&gt;</c>. The name alone
    /// proves nothing (anyone may call a Secret so); the login ties it to the organization the Go operator made.
    /// </summary>
    public static SortedSet<string> GoOperatorClusterIds(IEnumerable<V1Secret> secrets, string kubernetesNamespace)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var secret in secrets)
        {
            if (secret.Metadata?.Name is not { } name || secret.Metadata.Labels?.ContainsKey(WellKnown.ManagedByLabel) == true) continue;
            foreach (var account in OwnershipMarkers.GoOperatorServiceAccounts)
            {
                var head = QuayNames.SecretNameFor(account, "");
                if (name.Length <= head.Length || !name.StartsWith(head, StringComparison.Ordinal)) continue;
                var id = name[head.Length..];
                if (GoOperatorOrganization(id, kubernetesNamespace) is { Length: > 0 } organization
                    && RobotSecret.HoldsLoginOf(secret, QuayNames.RobotFullName(organization, account))) ids.Add(id);
            }
        }
        return ids;
    }
}
