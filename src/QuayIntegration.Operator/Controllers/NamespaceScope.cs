using k8s.Models;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// The namespaces an integration syncs: those its <c>namespaceSelector</c> matches, filtered by
/// <see cref="NamespaceRules"/> applied to its allow and deny lists, and never the operator's own namespace unless it is
/// allow-listed explicitly: giving the operator's namespace a Quay organization, robots and a webhook-guarded build
/// path is never what an installation wants.
/// </summary>
public sealed class NamespaceScope(string operatorNamespace)
{
    public string OperatorNamespace { get; } = operatorNamespace;

    /// <summary>By name alone: the allow and deny lists and the operator's namespace.</summary>
    public bool Includes(string ns, IntegrationConfig config) =>
        NamespaceRules.IsInScope(ns, config.Allowlist, config.Denylist)
        && (ns != OperatorNamespace || config.Allowlist.Contains(ns));

    /// <summary>By name and labels: whether the integration with <paramref name="config"/> selects the namespace.</summary>
    public bool Selects(V1Namespace ns, IntegrationConfig config) =>
        Includes(ns.Metadata.Name, config) && config.NamespaceSelector.Matches(ns.Metadata.Labels);
}
