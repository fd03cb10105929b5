using Microsoft.Extensions.Diagnostics.HealthChecks;
using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Hosting;

/// <summary>/readyz: ready once every informer cache has its first full list (the webhook answers from them).</summary>
public sealed class CachesSyncedHealthCheck(ClusterCaches caches) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(caches.HasSynced ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("informer caches not synced yet"));
}
