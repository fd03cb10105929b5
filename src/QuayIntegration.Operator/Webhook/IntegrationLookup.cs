using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Webhook;

/// <summary>The QuayIntegration as the webhook sees it, from the cache (every replica has it, leader or not).</summary>
public abstract record IntegrationLookup
{
    public sealed record Absent : IntegrationLookup;
    public sealed record Deleting : IntegrationLookup;
    public sealed record Unusable(string Reason) : IntegrationLookup;
    public sealed record Usable(IntegrationConfig Config, string RegistryHost) : IntegrationLookup;

    public static IntegrationLookup From(ClusterCaches caches)
    {
        var integrations = caches.QuayIntegrations.List();
        if (integrations.Count == 0) return new Absent();
        if (integrations.Count > 1)
            return new Unusable($"{integrations.Count} QuayIntegrations exist ({string.Join(", ", integrations.Select(i => i.Metadata.Name).Order())}); keep exactly one");
        var integration = integrations[0];
        if (integration.Metadata.DeletionTimestamp is not null) return new Deleting();
        var config = IntegrationConfig.Parse(integration.Spec, out var errors);
        if (config is null) return new Unusable($"QuayIntegration {integration.Metadata.Name} is invalid: {string.Join("; ", errors)}");
        return new Usable(config, RegistryHostOf(config.QuayUrl));
    }

    /// <summary>host[:port], as in image references and docker config "auths" keys.</summary>
    public static string RegistryHostOf(Uri quayUrl) => quayUrl.IsDefaultPort ? quayUrl.Host : $"{quayUrl.Host}:{quayUrl.Port}";
}
