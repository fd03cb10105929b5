using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>The QuayIntegration as configured: absent, being deleted, unusable (and why), or usable with its parsed configuration.</summary>
public abstract record IntegrationView
{
    public sealed record Absent : IntegrationView;
    public sealed record Deleting : IntegrationView;
    public sealed record Unusable(string Reason) : IntegrationView;
    public sealed record Usable(IntegrationConfig Config) : IntegrationView;

    public static readonly IntegrationView None = new Absent();
}

/// <summary>
/// The one parsed view of the QuayIntegration(s) in the cache, computed once per change on every replica, leader or
/// not: the admission webhook and the Build import read it on every request instead of parsing the resource again.
/// (The leader's <see cref="QuayIntegrationReconciler"/> adds what needs the token and Quay: <see cref="IntegrationState"/>.)
/// </summary>
public sealed class ConfiguredIntegration : IInformerHandler<QuayIntegrationResource>
{
    private readonly ClusterCaches _caches;
    private volatile IntegrationView _current = IntegrationView.None;

    public ConfiguredIntegration(ClusterCaches caches)
    {
        _caches = caches;
        caches.QuayIntegrations.AddHandler(this);
        Recompute(); // the cache may be filled already when this is first needed
    }

    public IntegrationView Current => _current;

    public void OnAdd(QuayIntegrationResource obj) => Recompute();
    public void OnUpdate(QuayIntegrationResource oldObj, QuayIntegrationResource newObj) => Recompute();
    public void OnDelete(QuayIntegrationResource obj) => Recompute();

    private void Recompute() => _current = ViewOf(_caches.QuayIntegrations.List());

    public static IntegrationView ViewOf(IReadOnlyList<QuayIntegrationResource> integrations)
    {
        if (integrations.Count == 0) return IntegrationView.None;
        if (integrations.Count > 1)
            return new IntegrationView.Unusable(
                $"{integrations.Count} QuayIntegrations exist ({string.Join(", ", integrations.Select(i => i.Metadata.Name).Order())}); keep exactly one");
        var integration = integrations[0];
        if (integration.Metadata.DeletionTimestamp is not null) return new IntegrationView.Deleting();
        var config = IntegrationConfig.Parse(integration.Spec, out var errors);
        return config is null
            ? new IntegrationView.Unusable($"QuayIntegration {integration.Metadata.Name} is invalid: {string.Join("; ", errors)}")
            : new IntegrationView.Usable(config);
    }
}
