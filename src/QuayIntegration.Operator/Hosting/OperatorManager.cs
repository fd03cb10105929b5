using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Runtime;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Starts the informers on every replica (their caches also serve the webhook and /readyz), wires events to the
/// controllers, and runs the controllers only while this replica holds the leader Lease. Losing the Lease stops the
/// application, as controller-runtime does, so a restarted pod campaigns again from a clean state.
/// </summary>
public sealed class OperatorManager : BackgroundService
{
    private readonly ClusterCaches _caches;
    private readonly IntegrationState _state;
    private readonly IOptions<OperatorOptions> _options;
    private readonly LeaderElector _elector;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<OperatorManager> _log;
    private readonly List<Controller> _controllers;
    private readonly Informer<Build> _builds;

    public OperatorManager(ClusterCaches caches, IntegrationState state, NamespaceSyncRegistry registry, ReferencedObjects references,
        QuayClientFactory quayClients,
        QuayIntegrationReconciler integrationReconciler, NamespaceReconciler namespaceReconciler,
        Informer<Build> builds, BuildReconciler buildReconciler,
        LeaderElector elector, IOptions<OperatorOptions> options, IHostApplicationLifetime lifetime, ILoggerFactory loggers, TimeProvider time)
    {
        _caches = caches;
        _builds = builds;
        _state = state;
        _options = options;
        _elector = elector;
        _lifetime = lifetime;
        _log = loggers.CreateLogger<OperatorManager>();
        var o = options.Value;

        var integrations = new Controller(integrationReconciler, new ControllerOptions
        {
            Workers = 1, BackoffBase = o.Controller.BackoffBase, BackoffMax = o.Controller.BackoffMax,
        }, loggers.CreateLogger("Controller.QuayIntegration"), time)
            .Watch(caches.QuayIntegrations, _ => [QuayIntegrationReconciler.Key], EventPredicates.GenerationOrMetadataChanged<QuayIntegrationResource>());

        var workerOptions = new ControllerOptions
        {
            Workers = o.EffectiveWorkers, BackoffBase = o.Controller.BackoffBase, BackoffMax = o.Controller.BackoffMax,
            RetryQps = o.Controller.RetryQps, RetryBurst = o.Controller.RetryBurst,
        };
        // One key per namespace: everything that decides a namespace's Quay organization, robots, repositories and
        // Secrets maps to it, so one reconcile at a time owns the namespace's ownership record.
        var namespaces = new Controller(namespaceReconciler, workerOptions, loggers.CreateLogger("Controller.Namespace"), time)
            .Watch(caches.Namespaces, ns => [ns.Metadata.Name])
            .Watch(caches.ServiceAccounts, sa => [sa.Metadata.NamespaceProperty], EventPredicates.Create<V1ServiceAccount>(
                InMatrix, (o1, n) => InMatrix(n) && (o1.Metadata.ResourceVersion == n.Metadata.ResourceVersion || LinksChanged(o1, n)), InMatrix))
            .Watch(caches.Secrets, s => [s.Metadata.NamespaceProperty])
            .Watch(caches.ImageStreams, s => [s.Metadata.NamespaceProperty],
                EventPredicates.Create<ImageStream>(_ => true, (o1, n) => o1.Metadata.DeletionTimestamp != n.Metadata.DeletionTimestamp, _ => true))
            // A record deleted (or asked to be) by someone else; the operator's own writes need no second look.
            .Watch(caches.QuayNamespaces, r => [r.Metadata.Name], EventPredicates.Create<QuayNamespaceResource>(
                _ => false, (o1, n) => o1.Metadata.DeletionTimestamp != n.Metadata.DeletionTimestamp, _ => true));

        // Namespace outcomes feed the QuayIntegration's counts; a change of its token Secret or CA ConfigMap, or Quay
        // found down by the namespaces' calls, is judged at once.
        registry.Changed += () => integrations.Enqueue(QuayIntegrationReconciler.Key);
        references.Changed += () => integrations.Enqueue(QuayIntegrationReconciler.Key);
        quayClients.QuayWentDown += () => integrations.Enqueue(QuayIntegrationReconciler.Key);
        // A new configuration, token, or mode means every namespace must be looked at again, and so must the records of
        // namespaces that are gone (what they kept may now have to go).
        state.Changed += _ =>
        {
            foreach (var ns in caches.Namespaces.List()) namespaces.Enqueue(ns.Metadata.Name);
            foreach (var record in caches.QuayNamespaces.List()) namespaces.Enqueue(record.Metadata.Name);
        };
        // Managed Builds (labelled by the webhook) are imported once Complete; a new ImageStream or namespace state
        // lets a Build that waited for it be looked at again.
        var buildImports = new Controller(buildReconciler, workerOptions, loggers.CreateLogger("Controller.Build"), time)
            .Watch(builds, b => [Informer<Build>.KeyOf(b)])
            .Watch(caches.ImageStreams, s => BuildsWaitingFor(builds, s), EventPredicates.Create<ImageStream>(_ => true, (_, _) => false, _ => false));
        _controllers = [integrations, namespaces, buildImports];
        integrations.Enqueue(QuayIntegrationReconciler.Key);
    }

    private static IEnumerable<string> BuildsWaitingFor(Informer<Build> builds, ImageStream stream) =>
        builds.List()
            .Where(b => !BuildReconciler.IsImported(b) && b.Status?.Phase == "Complete"
                && b.Metadata.Annotations is { } a && a.TryGetValue(BuildAnnotations.DestinationImageStream, out var value)
                && ImageStreamTagReference.Parse(value) is { } d
                && d.Namespace == stream.Metadata.NamespaceProperty && d.Stream == stream.Metadata.Name)
            .Select(Informer<Build>.KeyOf);

    private bool InMatrix(V1ServiceAccount sa)
    {
        var accounts = _state.Current.Config?.ServiceAccounts ?? IntegrationConfig.DefaultServiceAccounts;
        return accounts.Any(a => a.Name == sa.Metadata.Name);
    }

    private static bool LinksChanged(V1ServiceAccount o, V1ServiceAccount n) =>
        !EventPredicates.SameSet(o.Secrets?.Select(s => s.Name), n.Secrets?.Select(s => s.Name))
        || !EventPredicates.SameSet(o.ImagePullSecrets?.Select(s => s.Name), n.ImagePullSecrets?.Select(s => s.Name));

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var informers = _caches.All.Append(_builds).Select(i => Task.Run(() => i.RunAsync(ct), CancellationToken.None)).ToList();
        try
        {
            await WaitForSyncAsync(ct);
            _log.LogInformation("Caches synced");
            if (_options.Value.LeaderElection.Enabled)
            {
                var lost = await _elector.RunAsync(RunControllersAsync, ct);
                if (lost) _lifetime.StopApplication();
            }
            else
            {
                await RunControllersAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        await Task.WhenAll(informers);
    }

    private async Task WaitForSyncAsync(CancellationToken ct)
    {
        while (!_caches.HasSynced || !_builds.HasSynced) await Task.Delay(50, ct);
    }

    private Task RunControllersAsync(CancellationToken ct) => Task.WhenAll(_controllers.Select(c => c.RunAsync(ct)));
}
