using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Prometheus;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Observability;

/// <summary>
/// Gauges read from state rather than counted as things happen, refreshed before each scrape: the QuayIntegration's
/// Ready condition and namespace counts from the informer cache (every replica has it, leader or not: they report
/// the same), how long each informer has failed to list and watch, and the webhook certificate's expiry from <see cref="WebhookCertificateProvider"/> (which reloads a
/// rotated file here too). The metrics registry is process-wide; the host that started last is the one reported.
/// </summary>
public sealed class StateMetrics(IServiceProvider services, IOptions<OperatorOptions> options) : IHostedService
{
    private static readonly Lock Gate = new();
    private static StateMetrics? _current;
    private static bool _registered;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            _current = this;
            if (!_registered)
            {
                Metrics.DefaultRegistry.AddBeforeCollectCallback(() => { lock (Gate) _current?.Refresh(); });
                _registered = true;
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (Gate)
            if (_current == this) _current = null;
        return Task.CompletedTask;
    }

    private void Refresh()
    {
        // Read before each scrape rather than at each TLS handshake: the gauge is only ever seen through a scrape.
        if (!options.Value.Webhook.Disabled && services.GetRequiredService<WebhookCertificateProvider>().Serving is { } serving)
            OperatorMetrics.WebhookCertificateExpiry.Set(serving.Expires.ToUnixTimeSeconds());

        var caches = services.GetRequiredService<ClusterCaches>();
        foreach (var informer in caches.All)
            OperatorMetrics.InformerFailing.WithLabels(informer.Resource).Set(informer.FailingFor?.TotalSeconds ?? 0);

        var integrations = caches.QuayIntegrations;
        if (!integrations.HasSynced) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var qi in integrations.List())
        {
            var name = qi.Metadata.Name;
            seen.Add(name);
            var ready = StatusConditions.Find(qi.Status?.Conditions, StatusConditions.Ready)?.Status == "True";
            OperatorMetrics.IntegrationReady.WithLabels(name).Set(ready ? 1 : 0);
            OperatorMetrics.IntegrationNamespaces.WithLabels(name, "synced").Set(qi.Status?.SyncedNamespaces ?? 0);
            OperatorMetrics.IntegrationNamespaces.WithLabels(name, "pending").Set(qi.Status?.PendingNamespaces ?? 0);
            OperatorMetrics.IntegrationNamespaces.WithLabels(name, "failing").Set(qi.Status?.FailingNamespaces ?? 0);
        }
        foreach (var labels in OperatorMetrics.IntegrationReady.GetAllLabelValues().ToList())
            if (!seen.Contains(labels[0])) OperatorMetrics.IntegrationReady.RemoveLabelled(labels);
        foreach (var labels in OperatorMetrics.IntegrationNamespaces.GetAllLabelValues().ToList())
            if (!seen.Contains(labels[0])) OperatorMetrics.IntegrationNamespaces.RemoveLabelled(labels);
    }
}
