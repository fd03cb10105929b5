using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Runs the operator's lifecycle: the informers on every replica (their caches also serve the webhook and /readyz),
/// then the controllers (<see cref="OperatorControllers"/>) only while this replica holds the leader Lease. Losing the
/// Lease stops the application, as controller-runtime does, so a restarted pod campaigns again from a clean state.
/// </summary>
public sealed class OperatorManager(
    ClusterCaches caches,
    Informer<Build> builds,
    OperatorControllers controllers,
    LeaderElector elector,
    IOptions<OperatorOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<OperatorManager> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var informers = caches.All.Append(builds).Select(i => Task.Run(() => i.RunAsync(ct), CancellationToken.None)).ToList();
        try
        {
            await WaitForSyncAsync(ct);
            log.LogInformation("Caches synced");
            if (options.Value.LeaderElection.Enabled)
            {
                var lost = await elector.RunAsync(RunControllersAsync, ct);
                if (lost) lifetime.StopApplication();
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
        while (!caches.HasSynced || !builds.HasSynced) await Task.Delay(50, ct);
    }

    private Task RunControllersAsync(CancellationToken ct) => Task.WhenAll(controllers.All.Select(c => c.RunAsync(ct)));
}
