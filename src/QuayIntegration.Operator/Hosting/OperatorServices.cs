using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Webhook;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Hosting;

/// <summary>Every service of the operator, registered once; the controllers are composed in <see cref="OperatorControllers"/>.</summary>
public static class OperatorServices
{
    public static IServiceCollection AddOperator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperatorOptions>()
            .Bind(configuration.GetSection(OperatorOptions.Section))
            .Validate(o => o.Webhook.CertMode is CertModes.Files or CertModes.SelfManaged,
                $"Operator:Webhook:CertMode (--webhook-cert-mode) must be {CertModes.Files} or {CertModes.SelfManaged}")
            .Validate(o => o.ApiRequestTimeout > TimeSpan.Zero, "Operator:ApiRequestTimeout (--api-request-timeout) must be positive")
            .Validate(o => o.EventRepeatWindow > TimeSpan.Zero, "Operator:EventRepeatWindow must be positive")
            .Validate(o => o.Quay.MaxConcurrentCalls > 0, "Operator:Quay:MaxConcurrentCalls (--quay-max-concurrency) must be at least 1")
            // A retry budget of none would make the token bucket's wait infinite, and the worker that asks for it end.
            .Validate(o => o.Controller.RetryQps > 0 && double.IsFinite(o.Controller.RetryQps) && o.Controller.RetryBurst >= 1,
                "Operator:Controller:RetryQps must be a positive number and Operator:Controller:RetryBurst at least 1")
            .Validate(o => !o.Metrics.Secure || o.Metrics.SecurePort != o.MetricsPort || o.MetricsPort == 0,
                "Operator:Metrics:SecurePort (--metrics-secure-port) must differ from Operator:MetricsPort (--metrics-port): /healthz and /readyz stay on plain HTTP")
            .ValidateOnStart();
        // The Lease timings are refused at start with the other options, not later when the elector is built.
        services.AddSingleton<IValidateOptions<OperatorOptions>, LeaderElectionTimings>();
        services.AddSingleton(sp => Options.Create(sp.GetRequiredService<IOptions<OperatorOptions>>().Value.Quay));
        services.AddSingleton(TimeProvider.System);

        // The cluster: connection, API client, informer caches, the operator's namespace.
        services.AddSingleton(sp => ClusterConnection.Configuration(sp.GetRequiredService<IOptions<OperatorOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new KubeApi(sp.GetRequiredService<ClusterAccess>(),
            sp.GetRequiredService<IOptions<OperatorOptions>>().Value.ApiRequestTimeout, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ClusterCaches>();
        services.AddSingleton(sp => sp.GetRequiredService<ClusterCaches>().Builds);
        services.AddSingleton(sp => new NamespaceScope(
            sp.GetRequiredService<IOptions<OperatorOptions>>().Value.OperatorNamespace is { Length: > 0 } own ? own : ClusterConnection.CurrentNamespace()));
        services.AddSingleton<EventRecorder>();

        // The QuayIntegration, Quay and the references it names.
        services.AddSingleton<ConfiguredIntegrations>();
        services.AddSingleton<GoOperatorBuilds>();
        services.AddSingleton<IntegrationState>();
        services.AddSingleton<QuayClientFactory>();
        services.AddSingleton<ReferencedObjects>();
        services.AddSingleton<QuayIntegrationReconciler>();

        // Namespaces: the ownership record, what Quay holds, and the steps of a sync.
        services.AddSingleton<NamespaceSyncRegistry>();
        services.AddSingleton<DeletionReleases>();
        services.AddSingleton(sp => new OwnershipRecords(sp.GetRequiredService<ClusterCaches>().QuayNamespaces, sp.GetRequiredService<KubeApi>()));
        services.AddSingleton<QuayObservations>();
        services.AddSingleton<LiveNamespaces>();
        services.AddSingleton<NamespaceClaim>();
        services.AddSingleton<OrganizationStep>();
        services.AddSingleton<RobotStep>();
        services.AddSingleton<TokenRotationStep>();
        services.AddSingleton<RepositoryStep>();
        services.AddSingleton<TakeoverInventory>();
        services.AddSingleton<OrganizationCleanup>();
        services.AddSingleton<FormerOrganizationsStep>();
        services.AddSingleton<CredentialStep>();
        services.AddSingleton<NamespaceReconciler>();

        // Builds: the admission webhook and the import after the build.
        services.AddSingleton<BuildReconciler>();
        services.AddSingleton<NamespaceSetupCheck>();
        services.AddSingleton<UncachedNamespaces>();
        services.AddSingleton<BuildAdmissionPolicy>();
        services.AddSingleton<AdmissionReviewer>();
        services.AddSingleton<WebhookCertificateProvider>();
        services.AddSingleton<SelfManagedCertificates>();
        if (IsSelfManaged(configuration)) services.AddHostedService(sp => sp.GetRequiredService<SelfManagedCertificates>());

        // Leadership, the controllers and their lifecycle.
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<OperatorOptions>>().Value.LeaderElection;
            if (string.IsNullOrEmpty(o.Namespace)) o.Namespace = ClusterConnection.CurrentNamespace();
            return o;
        });
        services.AddSingleton<LeaderElector>();
        services.AddSingleton<OperatorControllers>();
        services.AddSingleton<OperatorExit>();
        services.AddHostedService<OperatorManager>();

        services.AddSingleton<OperatorListeners>();
        services.AddSingleton<MetricsCertificateProvider>();
        services.AddSingleton<MetricsAccessReviewer>();
        services.AddHostedService<StateMetrics>();
        services.AddHealthChecks().AddCheck<CachesSyncedHealthCheck>("caches", tags: ["ready"]);
        return services;
    }

    /// <summary>Read unvalidated: another certificate mode is refused at start with every other error (ValidateOnStart).</summary>
    private static bool IsSelfManaged(IConfiguration configuration)
    {
        var webhook = (configuration.GetSection(OperatorOptions.Section).Get<OperatorOptions>() ?? new OperatorOptions()).Webhook;
        return !webhook.Disabled && webhook.CertMode == CertModes.SelfManaged;
    }
}

/// <summary>The Lease timings as <see cref="LeaderElectionOptions.Problems"/> judges them (the namespace is known only later).</summary>
internal sealed class LeaderElectionTimings : IValidateOptions<OperatorOptions>
{
    public ValidateOptionsResult Validate(string? name, OperatorOptions options)
    {
        if (!options.LeaderElection.Enabled) return ValidateOptionsResult.Success;
        var problems = options.LeaderElection.Problems(requireNamespace: false);
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => $"Operator:LeaderElection (--leader-elect-*): {p}"));
    }
}
