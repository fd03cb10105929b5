using k8s.Models;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers;

/// <summary>Which namespaces are synced, as the upstream operator decides it (pure functions).</summary>
public static class NamespaceRules
{
    private static readonly HashSet<string> ReservedNames = ["default", "openshift", "management-infra"];
    private static readonly string[] ReservedPrefixes = ["openshift-", "kube-"];

    /// <summary>
    /// The denylist always wins; a non-empty allowlist means only those namespaces; otherwise every namespace except
    /// <c>default</c>, <c>openshift</c>, <c>management-infra</c>, <c>openshift-*</c> and <c>kube-*</c> (which are only synced
    /// when allow-listed).
    /// </summary>
    public static bool IsInScope(string name, IReadOnlyCollection<string> allowlist, IReadOnlyCollection<string> denylist)
    {
        if (denylist.Contains(name)) return false;
        if (allowlist.Count > 0) return allowlist.Contains(name);
        return !IsReserved(name);
    }

    public static bool IsReserved(string name) =>
        ReservedNames.Contains(name) || ReservedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// An OpenShift project (display-name and description annotations, set by a ProjectRequest) is only ready once the
    /// cluster-policy-controller has given it <c>openshift.io/sa.scc.mcs</c>; any other namespace is ready at once.
    /// </summary>
    public static bool IsReady(V1Namespace ns)
    {
        var annotations = ns.Metadata.Annotations;
        if (annotations is null) return true;
        var isProject = annotations.ContainsKey(WellKnown.OpenShiftDisplayName) && annotations.ContainsKey(WellKnown.OpenShiftDescription);
        return !isProject || annotations.ContainsKey(WellKnown.OpenShiftSccMcs);
    }
}
