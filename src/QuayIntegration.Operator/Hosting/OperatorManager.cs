using QuayIntegration.Operator.Observability;
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
/// Lease stops the application with a failure exit code (<see cref="OperatorExit"/>), as controller-runtime does, so the
/// restarted pod campaigns again from a clean state and the restart shows as an error, not a completion.
/// </summary>
public sealed class OperatorManager(
    ClusterCaches caches,
    OperatorControllers controllers,
    GoOperatorBuilds goOperatorBuilds,
    LeaderElector elector,
    IOptions<OperatorOptions> options,
    IHostApplicationLifetime lifetime,
    OperatorExit exit,
    EventRecorder events,
    ILogger<OperatorManager> log) : BackgroundService
{
    /// <summary>How long a stop waits for the Events the controllers recorded last to be written.</summary>
    private static readonly TimeSpan EventFlushBound = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var informers = caches.All.Select(i => Task.Run(() => i.RunAsync(stoppingToken), CancellationToken.None)).ToList();
        var lost = false;
        try
        {
            await WaitForSyncAsync(stoppingToken);
            log.CachesSynced();
            if (options.Value.LeaderElection.Enabled) lost = await elector.RunAsync(RunControllersAsync, stoppingToken);
            else await RunControllersAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // The controllers have stopped: what their last reconciles told is written before the process goes.
            await events.FlushAsync(EventFlushBound);
        }
        if (lost)
        {
            exit.Fail(OperatorExit.LostLease);
            lifetime.StopApplication();
        }
        await Task.WhenAll(informers);
    }

    private async Task WaitForSyncAsync(CancellationToken ct)
    {
        while (!caches.HasSynced) await Task.Delay(50, ct);
    }

    /// <summary>What only the leader does: the controllers, and once per term the takeover of the Go operator's Builds.</summary>
    private Task RunControllersAsync(CancellationToken ct) =>
        Task.WhenAll(controllers.All.Select(c => c.RunAsync(ct)).Append(goOperatorBuilds.RunAsync(ct)));
}
