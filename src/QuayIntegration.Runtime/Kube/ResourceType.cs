namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// Where a kind lives in the API (group, version, plural, scope), and how to build its URLs. The core kinds are here;
/// an application declares its own (the operator's: <c>QuayIntegration.Operator.Api.ApiResources</c>).
/// </summary>
public sealed record ResourceType(string Group, string Version, string Plural, bool Namespaced)
{
    public static readonly ResourceType Namespaces = new("", "v1", "namespaces", false);
    public static readonly ResourceType ServiceAccounts = new("", "v1", "serviceaccounts", true);
    public static readonly ResourceType Secrets = new("", "v1", "secrets", true);
    public static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", true);
    public static readonly ResourceType Events = new("", "v1", "events", true);
    public static readonly ResourceType Leases = new("coordination.k8s.io", "v1", "leases", true);

    private string Prefix => Group.Length == 0 ? $"api/{Version}" : $"apis/{Group}/{Version}";

    /// <summary>The collection URL; for a namespaced kind without a namespace, the all-namespaces collection.</summary>
    public string CollectionPath(string? ns = null) =>
        Namespaced && ns is not null ? $"{Prefix}/namespaces/{ns}/{Plural}" : $"{Prefix}/{Plural}";

    public string ObjectPath(string? ns, string name) => $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";
}
