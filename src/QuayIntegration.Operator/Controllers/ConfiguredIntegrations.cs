using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>One QuayIntegration as configured: being deleted, unusable (and why), or usable with its parsed configuration.</summary>
public abstract record IntegrationView(QuayIntegrationResource Resource)
{
    public string Name => Resource.Metadata.Name;

    /// <param name="Config">Its configuration as the spec still says, if readable: what it created is released under it.</param>
    public sealed record Deleting(QuayIntegrationResource Resource, IntegrationConfig? Config) : IntegrationView(Resource);
    /// <param name="Code">The condition reason it is reported under.</param>
    public sealed record Unusable(QuayIntegrationResource Resource, string Reason, string Code = "InvalidConfiguration") : IntegrationView(Resource);
    public sealed record Usable(QuayIntegrationResource Resource, IntegrationConfig Config) : IntegrationView(Resource);
}

/// <summary>Which QuayIntegration a namespace belongs to, as far as the configuration tells (no Quay involved).</summary>
public abstract record NamespaceIntegration
{
    /// <summary>No integration selects it.</summary>
    public sealed record Unmanaged : NamespaceIntegration;
    /// <summary>Exactly one usable integration selects it.</summary>
    public sealed record Managed(string Name, IntegrationConfig Config) : NamespaceIntegration;
    /// <summary>More than one integration selects it: none manages it until only one does.</summary>
    public sealed record Conflict(IReadOnlyList<string> Names) : NamespaceIntegration;
    /// <summary>The integration it belongs to cannot be used (invalid configuration); the reason says why.</summary>
    public sealed record Unusable(string Name, string Reason) : NamespaceIntegration;

    public static readonly NamespaceIntegration None = new Unmanaged();
}

/// <summary>
/// The one parsed view of the QuayIntegrations in the cache, computed once per change on every replica, leader or
/// not: the admission webhook and the Build import read it on every request instead of parsing the resources again.
/// (The leader's <see cref="QuayIntegrationReconciler"/> adds what needs the token and Quay: <see cref="IntegrationState"/>.)
/// </summary>
public sealed class ConfiguredIntegrations : IInformerHandler<QuayIntegrationResource>
{
    private readonly ClusterCaches _caches;
    private readonly NamespaceScope _scope;
    private volatile IReadOnlyList<IntegrationView> _all = [];
    private volatile IReadOnlySet<string> _serviceAccounts = DefaultAccounts;

    private static readonly IReadOnlySet<string> DefaultAccounts = IntegrationConfig.DefaultServiceAccounts.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);

    public ConfiguredIntegrations(ClusterCaches caches, NamespaceScope scope)
    {
        _caches = caches;
        _scope = scope;
        caches.QuayIntegrations.AddHandler(this);
        Recompute(); // the cache may be filled already when this is first needed
    }

    /// <summary>Oldest first.</summary>
    public IReadOnlyList<IntegrationView> All => _all;

    public void OnAdd(QuayIntegrationResource obj) => Recompute();
    public void OnUpdate(QuayIntegrationResource oldObj, QuayIntegrationResource newObj) => Recompute();
    public void OnDelete(QuayIntegrationResource obj) => Recompute();

    private void Recompute()
    {
        var all = ViewsOf(_caches.QuayIntegrations.List());
        var usable = all.OfType<IntegrationView.Usable>().ToList();
        _serviceAccounts = usable.Count == 0
            ? DefaultAccounts
            : usable.SelectMany(u => u.Config.ServiceAccounts.Select(a => a.Name)).ToHashSet(StringComparer.Ordinal);
        _all = all;
    }

    /// <summary>The service accounts any usable integration gives robots (the default three when there is none).</summary>
    public IReadOnlySet<string> ServiceAccountNames => _serviceAccounts;

    /// <summary>
    /// The configuration a Build's image pushed to <paramref name="registryHost"/> is imported into namespace
    /// <paramref name="ns"/> with: that of the integration managing the namespace when its Quay is the one pushed to
    /// (two integrations may share a Quay, each with its own import settings), else that of any serving the host. None
    /// while the namespace's own integration cannot be used: another's settings would be the wrong ones.
    /// </summary>
    public IntegrationConfig? ForImport(string ns, string registryHost) => For(ns) switch
    {
        NamespaceIntegration.Managed managed when string.Equals(managed.Config.RegistryHost, registryHost, StringComparison.OrdinalIgnoreCase) => managed.Config,
        NamespaceIntegration.Unusable => null,
        _ => ForRegistryHost(registryHost)?.Config,
    };

    /// <summary>The usable integration whose Quay serves <paramref name="registryHost"/>, if any.</summary>
    private IntegrationView.Usable? ForRegistryHost(string registryHost) =>
        _all.OfType<IntegrationView.Usable>().FirstOrDefault(u => string.Equals(u.Config.RegistryHost, registryHost, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The integration that manages namespace <paramref name="ns"/>: the one usable integration that selects it. An
    /// integration that cannot be read still owns the namespaces recorded to it (and, when it is the only one, every
    /// namespace: its scope cannot be told), so their builds are held rather than sent to the wrong registry.
    /// </summary>
    public NamespaceIntegration For(string ns) =>
        _caches.Namespaces.Get(ObjectKey.Cluster(ns)) is { } namespaceObject ? For(namespaceObject) : NamespaceIntegration.None;

    /// <inheritdoc cref="For(string)"/>
    /// <param name="namespaceObject">The namespace as read, from the cache or from the API server.</param>
    public NamespaceIntegration For(V1Namespace namespaceObject)
    {
        var all = _all;
        if (all.Count == 0) return NamespaceIntegration.None;
        var ns = namespaceObject.Metadata.Name;
        // A loop rather than a query: the webhook asks this on every review, and the usual answer (one integration
        // selects it) needs no list.
        IntegrationView.Usable? selecting = null;
        List<string>? conflicting = null;
        foreach (var view in all)
        {
            if (view is not IntegrationView.Usable usable || !_scope.Selects(namespaceObject, usable.Config)) continue;
            if (selecting is null) selecting = usable;
            else (conflicting ??= [selecting.Name]).Add(usable.Name);
        }
        if (conflicting is not null) return new NamespaceIntegration.Conflict(conflicting);
        if (selecting is not null) return new NamespaceIntegration.Managed(selecting.Name, selecting.Config);
        // The integration the record holds the namespace for: the one that set it up, or, half-way through a move, the one
        // it moves to (NamespaceIntent holds it for that one while its configuration cannot be read).
        var recorded = _caches.QuayNamespaces.Get(ObjectKey.Cluster(ns))?.Spec;
        var holder = recorded switch
        {
            { Released: not true } => recorded.Integration,
            { MovingTo: { } movingTo } => movingTo,
            _ => null,
        };
        if (holder is not null && all.FirstOrDefault(v => v.Name == holder) is IntegrationView.Unusable owner)
            return new NamespaceIntegration.Unusable(owner.Name, owner.Reason);
        if (!all.Any(v => v is IntegrationView.Usable) && all.OfType<IntegrationView.Unusable>().FirstOrDefault() is { } only)
            return new NamespaceIntegration.Unusable(only.Name, only.Reason);
        return NamespaceIntegration.None;
    }

    /// <summary>
    /// Parses every integration. Two that share a cluster ID would write Secrets of the same names
    /// (<c>&lt;sa&gt;-quay-&lt;clusterID&gt;</c>) into the same namespaces: the older keeps working, the newer is unusable until
    /// its cluster ID changes.
    /// </summary>
    public static IReadOnlyList<IntegrationView> ViewsOf(IReadOnlyList<QuayIntegrationResource> integrations)
    {
        var views = new List<IntegrationView>();
        var clusterIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var integration in integrations.OrderBy(i => i.Metadata.CreationTimestamp ?? DateTime.MaxValue).ThenBy(i => i.Metadata.Name, StringComparer.Ordinal))
        {
            if (integration.Metadata.DeletionTimestamp is not null)
            {
                views.Add(new IntegrationView.Deleting(integration, IntegrationConfig.Parse(integration.Spec, out _)));
                continue;
            }
            var config = IntegrationConfig.Parse(integration.Spec, out var errors);
            if (config is null)
            {
                views.Add(new IntegrationView.Unusable(integration, $"QuayIntegration {integration.Metadata.Name} is invalid: {string.Join("; ", errors)}"));
                continue;
            }
            if (clusterIds.TryGetValue(config.ClusterId, out var first))
            {
                views.Add(new IntegrationView.Unusable(integration,
                    $"QuayIntegration {integration.Metadata.Name} has clusterID '{config.ClusterId}', which QuayIntegration {first} already uses: " +
                    "their robot Secrets would have the same names; give each QuayIntegration its own clusterID", "DuplicateClusterID"));
                continue;
            }
            clusterIds[config.ClusterId] = integration.Metadata.Name;
            views.Add(new IntegrationView.Usable(integration, config));
        }
        return views;
    }
}
