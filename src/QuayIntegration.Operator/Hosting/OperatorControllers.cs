using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Caching;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// The composition root of the controllers: each one, its reconciler, and every source that enqueues its keys (an
/// informer with a predicate and a map, or a <see cref="Signal"/> raised inside the operator), read top to bottom the
/// way controller-runtime's builder reads (<c>For</c> / <c>Owns</c> / <c>Watches</c>).
/// </summary>
public sealed class OperatorControllers
{
    /// <summary>How long a QuayIntegration's namespace counts may trail the namespaces' outcomes.</summary>
    public static readonly TimeSpan StatusCountsWindow = TimeSpan.FromSeconds(1);

    public OperatorControllers(
        ClusterCaches caches,
        ConfiguredIntegrations configured,
        IntegrationState state,
        NamespaceSyncRegistry registry,
        ReferencedObjects references,
        QuayClientFactory quayClients,
        Informer<Build> builds,
        QuayIntegrationReconciler integrationReconciler,
        NamespaceReconciler namespaceReconciler,
        BuildReconciler buildReconciler,
        IOptions<OperatorOptions> options,
        ILoggerFactory loggers,
        TimeProvider time)
    {
        var o = options.Value;
        var single = new ControllerOptions { Workers = 1, BackoffBase = o.Controller.BackoffBase, BackoffMax = o.Controller.BackoffMax };
        var parallel = new ControllerOptions
        {
            Workers = o.EffectiveWorkers, BackoffBase = o.Controller.BackoffBase, BackoffMax = o.Controller.BackoffMax,
            RetryQps = o.Controller.RetryQps, RetryBurst = o.Controller.RetryBurst,
        };
        IEnumerable<ObjectKey> Integration() => [QuayIntegrationReconciler.Key];

        // The QuayIntegration: one key for all of them. Judged again when its spec or metadata changes, when its token
        // Secret or CA ConfigMap changes, and as soon as the namespaces' calls find Quay down (it then probes Quay and
        // parks the work); its namespace counts follow the namespaces' outcomes within a second. (Once per outcome,
        // a cold start of 1,000 namespaces ran 904 passes over every namespace and wrote the status each time.)
        Integrations = new Controller(integrationReconciler, single, loggers.CreateLogger("Controller.QuayIntegration"), time)
            .Watches(caches.QuayIntegrations, _ => Integration(), EventPredicates.GenerationOrMetadataChanged<QuayIntegrationResource>())
            .Watches(registry.Changed, Integration, window: StatusCountsWindow)
            .Watches(references.Changed, Integration)
            .Watches(quayClients.QuayWentDown, Integration);

        // Namespaces: one key per namespace. Everything that decides its organization, robots, repositories and
        // Secrets maps to it, so one reconcile at a time owns the namespace's ownership record.
        Namespaces = new Controller(namespaceReconciler, parallel, loggers.CreateLogger("Controller.Namespace"), time)
            .Watches(caches.Namespaces, ns => [ObjectKey.Of(ns)])
            .Watches(caches.ServiceAccounts, sa => [sa.NamespaceKey], EventPredicates.Create<CachedServiceAccount>(
                InMatrix, (old, now) => InMatrix(now) && (old.ResourceVersion == now.ResourceVersion || LinksChanged(old, now)), InMatrix))
            .Watches(caches.Secrets, s => [s.NamespaceKey])
            .Watches(caches.ImageStreams, s => [s.NamespaceKey],
                EventPredicates.Create<CachedImageStream>(_ => true, (old, now) => old.Deleting != now.Deleting, _ => true))
            // A record deleted (or asked to be) by someone else; the operator's own writes need no second look.
            .Watches(caches.QuayNamespaces, r => [ObjectKey.Cluster(r.Metadata.Name)], EventPredicates.Create<QuayNamespaceResource>(
                _ => false, (old, now) => old.Metadata.DeletionTimestamp != now.Metadata.DeletionTimestamp, _ => true))
            // A new configuration, token or mode: every namespace again, and the records of namespaces that are gone
            // (what they kept may now have to go).
            .Watches(state.Changed, () => caches.Namespaces.List().Select(ObjectKey.Of).Concat(caches.QuayNamespaces.List().Select(r => ObjectKey.Cluster(r.Metadata.Name))));

        // Builds rewritten by the webhook (labelled): imported once Complete; a new ImageStream lets a Build that
        // waited for it be looked at again, and so does a new set of integrations one that waited for a usable
        // integration (only those: the others keep their own backoff).
        BuildImports = new Controller(buildReconciler, parallel, loggers.CreateLogger("Controller.Build"), time)
            .Watches(builds, b => [ObjectKey.Of(b)])
            .Watches(caches.ImageStreams, s => BuildsWaitingFor(builds, s), EventPredicates.Create<CachedImageStream>(_ => true, (_, _) => false, _ => false))
            .Watches(state.Changed, () => buildReconciler.WaitingForIntegration);

        Integrations.Enqueue(QuayIntegrationReconciler.Key);

        bool InMatrix(CachedServiceAccount sa) => configured.ServiceAccountNames.Contains(sa.Name);
    }

    public Controller Integrations { get; }
    public Controller Namespaces { get; }
    public Controller BuildImports { get; }

    public IReadOnlyList<Controller> All => [Integrations, Namespaces, BuildImports];

    private static bool LinksChanged(CachedServiceAccount o, CachedServiceAccount n) =>
        !EventPredicates.SameSet(o.Secrets?.Select(s => s.Name), n.Secrets?.Select(s => s.Name))
        || !EventPredicates.SameSet(o.ImagePullSecrets?.Select(s => s.Name), n.ImagePullSecrets?.Select(s => s.Name));

    private static IEnumerable<ObjectKey> BuildsWaitingFor(Informer<Build> builds, CachedImageStream stream) =>
        builds.List()
            .Where(b => !BuildReconciler.IsImported(b) && b.Status?.Phase == "Complete"
                && b.Metadata.Annotations is { } a && a.TryGetValue(BuildAnnotations.DestinationImageStream, out var value)
                && ImageStreamTagReference.Parse(value) is { } d
                && d.Namespace == stream.Namespace && d.Stream == stream.Name)
            .Select(ObjectKey.Of);
}
