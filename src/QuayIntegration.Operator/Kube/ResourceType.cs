using k8s.Models;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Kube;

/// <summary>Where a kind lives in the API (group, version, plural, scope), and how to build its URLs.</summary>
public sealed record ResourceType(string Group, string Version, string Plural, bool Namespaced)
{
    public static readonly ResourceType Namespaces = new("", "v1", "namespaces", false);
    public static readonly ResourceType ServiceAccounts = new("", "v1", "serviceaccounts", true);
    public static readonly ResourceType Secrets = new("", "v1", "secrets", true);
    public static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", true);
    public static readonly ResourceType Events = new("", "v1", "events", true);
    public static readonly ResourceType Leases = new("coordination.k8s.io", "v1", "leases", true);
    public static readonly ResourceType QuayIntegrations = new(QuayIntegrationResource.Group, QuayIntegrationResource.Version, QuayIntegrationResource.Plural, false);
    public static readonly ResourceType QuayNamespaces = new(QuayIntegrationResource.Group, QuayIntegrationResource.Version, QuayNamespaceResource.Plural, false);
    public static readonly ResourceType ImageStreams = new(ImageStream.Group, ImageStream.Version, ImageStream.Plural, true);
    public static readonly ResourceType Builds = new(Build.Group, Build.Version, Build.Plural, true);

    private string Prefix => Group.Length == 0 ? $"api/{Version}" : $"apis/{Group}/{Version}";

    /// <summary>The collection URL; for a namespaced kind without a namespace, the all-namespaces collection.</summary>
    public string CollectionPath(string? ns = null) =>
        Namespaced && ns is not null ? $"{Prefix}/namespaces/{ns}/{Plural}" : $"{Prefix}/{Plural}";

    public string ObjectPath(string? ns, string name) => $"{CollectionPath(ns)}/{Uri.EscapeDataString(name)}";
}
