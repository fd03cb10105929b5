namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// The namespaces the operator syncs: <see cref="NamespaceRules"/> applied to the QuayIntegration's lists, and never
/// the operator's own namespace unless it is allow-listed explicitly: giving the operator's namespace a Quay
/// organization, robots and a webhook-guarded build path is never what an installation wants.
/// </summary>
public sealed class NamespaceScope(string operatorNamespace)
{
    public string OperatorNamespace { get; } = operatorNamespace;

    public bool Includes(string ns, IntegrationConfig config) =>
        NamespaceRules.IsInScope(ns, config.Allowlist, config.Denylist)
        && (ns != OperatorNamespace || config.Allowlist.Contains(ns));
}
