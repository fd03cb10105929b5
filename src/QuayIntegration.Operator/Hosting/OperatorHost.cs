using System.Net;
using System.Security.Authentication;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prometheus;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Webhook;
using QuayIntegration.Operator.Api;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Formatting.Compact;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Builds the operator's host: one ASP.NET Core application serving /metrics, /healthz and /readyz over HTTP, and
/// (when a certificate is present) an HTTPS listener for the admission webhook, plus the <see cref="OperatorManager"/>.
/// Adding the webhook is one endpoint on <see cref="WebhookOptions.Port"/> and one service.
/// </summary>
public static class OperatorHost
{
    /// <summary>Short command-line flags.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new()
    {
        ["--kubeconfig"] = "Operator:Kubeconfig",
        ["--workers"] = "Operator:Workers",
        ["--metrics-port"] = "Operator:MetricsPort",
        ["--bind-address"] = "Operator:BindAddress",
        ["--webhook-port"] = "Operator:Webhook:Port",
        ["--webhook-cert-mode"] = "Operator:Webhook:CertMode",
        ["--leader-elect"] = "Operator:LeaderElection:Enabled",
        ["--leader-election-namespace"] = "Operator:LeaderElection:Namespace",
        ["--operator-namespace"] = "Operator:OperatorNamespace",
        ["--leader-election-id"] = "Operator:LeaderElection:LeaseName",
        ["--leader-elect-lease-duration"] = "Operator:LeaderElection:LeaseDuration",
        ["--leader-elect-renew-deadline"] = "Operator:LeaderElection:RenewDeadline",
        ["--leader-elect-retry-period"] = "Operator:LeaderElection:RetryPeriod",
        ["--api-request-timeout"] = "Operator:ApiRequestTimeout",
        ["--resync-period"] = "Operator:ResyncPeriod",
        ["--quay-max-concurrency"] = "Operator:Quay:MaxConcurrentCalls",
    };

    /// <param name="configureServices">Lets tests replace services (for example the Kubernetes configuration).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        OperatorMetrics.ConfigureExport();
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(LegacyEnvironment());
        builder.Configuration.AddCommandLine(args, SwitchMappings);

        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Polly", Serilog.Events.LogEventLevel.Warning)
            // An unready /readyz before the caches sync is expected; the probe's answer says it, an Error per probe is noise.
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", Serilog.Events.LogEventLevel.Fatal)
            .ReadFrom.Configuration(builder.Configuration) // "Serilog" section overrides the defaults above
            .Enrich.FromLogContext()
            .WriteTo.Console(new RenderedCompactJsonFormatter()));

        builder.Services.AddOptions<OperatorOptions>().Bind(builder.Configuration.GetSection(OperatorOptions.Section));
        builder.Services.AddSingleton(sp => Options.Create(sp.GetRequiredService<IOptions<OperatorOptions>>().Value.Quay));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => KubernetesConfiguration(sp.GetRequiredService<IOptions<OperatorOptions>>().Value));
        builder.Services.AddSingleton(sp => new KubeApi(sp.GetRequiredService<KubernetesClientConfiguration>(),
            sp.GetRequiredService<IOptions<OperatorOptions>>().Value.ApiRequestTimeout, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ClusterCaches>();
        builder.Services.AddSingleton(sp => new NamespaceScope(
            sp.GetRequiredService<IOptions<OperatorOptions>>().Value.OperatorNamespace is { Length: > 0 } own ? own : CurrentNamespace()));
        builder.Services.AddSingleton<IntegrationState>();
        builder.Services.AddSingleton<ConfiguredIntegration>();
        builder.Services.AddSingleton<NamespaceSyncRegistry>();
        builder.Services.AddSingleton(sp => new OwnershipRecords(sp.GetRequiredService<ClusterCaches>().QuayNamespaces, sp.GetRequiredService<KubeApi>()));
        builder.Services.AddSingleton<QuayObservations>();
        builder.Services.AddSingleton<NamespaceClaim>();
        builder.Services.AddSingleton<OrganizationStep>();
        builder.Services.AddSingleton<RobotStep>();
        builder.Services.AddSingleton<TokenRotationStep>();
        builder.Services.AddSingleton<RepositoryStep>();
        builder.Services.AddSingleton<OrganizationCleanup>();
        builder.Services.AddSingleton<FormerOrganizationsStep>();
        builder.Services.AddSingleton<CredentialStep>();
        builder.Services.AddSingleton<QuayClientFactory>();
        builder.Services.AddSingleton<ReferencedObjects>();
        builder.Services.AddSingleton<EventRecorder>();
        builder.Services.AddSingleton<QuayIntegrationReconciler>();
        builder.Services.AddSingleton<NamespaceReconciler>();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<OperatorOptions>>().Value;
            return new Informer<Build>(sp.GetRequiredService<KubeApi>(),
                new InformerSpec(ApiResources.Builds, LabelSelector: $"{BuildAnnotations.ManagedBuildLabel}=true", Optional: true),
                o.ResyncPeriod, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Informer.Builds"))
            {
                ListPageSize = o.InformerPageSize,
            };
        });
        builder.Services.AddSingleton<BuildReconciler>();
        builder.Services.AddSingleton<NamespaceSetupCheck>();
        builder.Services.AddSingleton<BuildAdmissionPolicy>();
        builder.Services.AddSingleton<AdmissionReviewer>();
        builder.Services.AddSingleton<OperatorListeners>();
        builder.Services.AddSingleton<SelfManagedCertificates>();
        if (IsSelfManaged(builder.Configuration))
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SelfManagedCertificates>());
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<OperatorOptions>>().Value.LeaderElection;
            if (string.IsNullOrEmpty(o.Namespace)) o.Namespace = CurrentNamespace();
            return o;
        });
        builder.Services.AddSingleton<LeaderElector>();
        builder.Services.AddSingleton<WebhookCertificateProvider>();
        builder.Services.AddSingleton<OperatorControllers>();
        builder.Services.AddHostedService<OperatorManager>();
        builder.Services.AddHealthChecks()
            .AddCheck<CachesSyncedHealthCheck>("caches", tags: ["ready"]);

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var o = context.Configuration.GetSection(OperatorOptions.Section).Get<OperatorOptions>() ?? new OperatorOptions();
            var address = IPAddress.Parse(o.BindAddress);
            var listeners = kestrel.ApplicationServices.GetRequiredService<OperatorListeners>();
            // No endpoint takes a larger body than an AdmissionReview; Kestrel also stops draining an unread body here.
            kestrel.Limits.MaxRequestBodySize = AdmissionBody.MaxBytes;
            kestrel.Listen(address, o.MetricsPort, listen => listeners.Add(OperatorListener.Metrics, listen));
            if (o.Webhook.Disabled) return;
            var certificates = kestrel.ApplicationServices.GetRequiredService<WebhookCertificateProvider>();
            // Self-managed: the certificate is written shortly after start; until then handshakes fail (the API server retries).
            if (!certificates.Available && o.Webhook.CertMode != CertModes.SelfManaged)
            {
                Log.Warning("Webhook certificate {Path} not found; the HTTPS webhook listener is not started", certificates.CertificatePath);
                return;
            }
            kestrel.Listen(address, o.Webhook.Port, listen =>
            {
                listeners.Add(OperatorListener.Webhook, listen);
                listen.UseHttps(https =>
                {
                    https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                    https.ServerCertificateSelector = (_, _) => certificates.Current;
                });
            });
        });
        configure?.Invoke(builder);

        var app = builder.Build();
        // Each endpoint answers on its own listener only (404 elsewhere): the webhook port is exposed to the whole cluster.
        app.UseListenerSeparation(app.Services.GetRequiredService<OperatorListeners>());
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).ServedOn(OperatorListener.Metrics);
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).ServedOn(OperatorListener.Metrics);
        app.MapMetrics("/metrics").ServedOn(OperatorListener.Metrics);
        app.MapAdmissionWebhook();
        return app;
    }

    private static bool IsSelfManaged(IConfiguration configuration)
    {
        var webhook = (configuration.GetSection(OperatorOptions.Section).Get<OperatorOptions>() ?? new OperatorOptions()).Webhook;
        if (webhook.CertMode is not (CertModes.Files or CertModes.SelfManaged))
            throw new InvalidOperationException($"--webhook-cert-mode '{webhook.CertMode}' must be {CertModes.Files} or {CertModes.SelfManaged}");
        return !webhook.Disabled && webhook.CertMode == CertModes.SelfManaged;
    }

    /// <summary>The environment variable names documented by the upstream operator and the issue.</summary>
    private static Dictionary<string, string?> LegacyEnvironment()
    {
        var map = new Dictionary<string, string?>();
        if (Environment.GetEnvironmentVariable("DISABLE_WEBHOOK") is { Length: > 0 } disable)
            map["Operator:Webhook:Disabled"] = (disable.Equals("true", StringComparison.OrdinalIgnoreCase) || disable == "1").ToString();
        if (Environment.GetEnvironmentVariable("WEBHOOK_CERT_DIR") is { Length: > 0 } dir) map["Operator:Webhook:CertDir"] = dir;
        return map;
    }

    /// <summary>--kubeconfig, then KUBECONFIG, then in-cluster, then ~/.kube/config.</summary>
    public static KubernetesClientConfiguration KubernetesConfiguration(OperatorOptions options)
    {
        if (!string.IsNullOrEmpty(options.Kubeconfig)) return KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig);
        if (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } path)
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path.Split(Path.PathSeparator)[0]);
        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildDefaultConfig();
    }

    /// <summary>The pod's namespace (POD_NAMESPACE or the service account mount): the leader Lease's and the operator's own.</summary>
    private static string CurrentNamespace()
    {
        if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns) return ns;
        const string file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        return File.Exists(file) ? File.ReadAllText(file).Trim() : "default";
    }

    private sealed class CachesSyncedHealthCheck(ClusterCaches caches) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
            Task.FromResult(caches.HasSynced ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("informer caches not synced yet"));
    }
}
