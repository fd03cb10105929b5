using QuayIntegration.Sandbox.Output;
using QuayIntegration.Sandbox.Steps;
using QuayIntegration.Sandbox.World;

namespace QuayIntegration.Sandbox;

/// <summary>The sandbox's entry point, shared by <c>Program</c> and the test that keeps the README command from rotting.</summary>
public static class SandboxRunner
{
    public const int Success = 0, Failure = 1, Interrupted = 130;

    /// <summary>Sets the world up, replays the walkthrough, optionally stays up until <paramref name="cancellationToken"/> fires; always tears down.</summary>
    public static async Task<int> RunAsync(SandboxOptions options, Report report, CancellationToken cancellationToken)
    {
        report.Title("QuayIntegration sandbox: emulated OpenShift + emulated Quay + the real operator, replaying the walkthrough");
        SandboxWorld? world = null;
        WalkthroughResult? result = null;
        try
        {
            try
            {
                world = await SandboxWorld.StartAsync(options, report, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                report.Summary(false, "the sandbox could not be set up (see above); the walkthrough did not run");
                return Failure;
            }

            result = await new Walkthrough(world, report, options).RunAsync(cancellationToken);
            if (options.Stay) await StayAsync(world, report, cancellationToken);
            return result.Success ? Success : Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C is how --stay ends: the exit code is still the walkthrough's.
            if (result is not null) return result.Success ? Success : Failure;
            report.Summary(false, "interrupted");
            return Interrupted;
        }
        finally
        {
            if (world is not null)
            {
                report.Plain("\nstopping the operator and the emulators…");
                await world.DisposeAsync();
                report.Plain("stopped.");
            }
        }
    }

    /// <summary>The query the README shows: what the QuayIntegration's status says, over time.</summary>
    public const string ShowcaseQuery = "max by (state) (quayintegration_integration_namespaces)";
    public const string QuayCallsQuery = "sum by (route, status) (rate(quayintegration_quay_requests_total[1m]))";

    private static async Task StayAsync(SandboxWorld world, Report report, CancellationToken cancellationToken)
    {
        var kubeconfig = world.Repo.Relative(world.KubeconfigPath);
        report.Section("The sandbox stays up (Ctrl-C to stop)");
        report.Ok("kubeconfig", kubeconfig);
        report.Detail($"kubectl --kubeconfig {kubeconfig} get quayintegrations");
        report.Detail($"kubectl --kubeconfig {kubeconfig} create namespace my-demo   # then watch organization openshift_my-demo appear");
        report.Detail($"kubectl --kubeconfig {kubeconfig} get secrets,serviceaccounts -n my-demo");
        report.Ok("emulated Quay's page", $"{world.Quay.HttpBaseUrl}/_emulator/  (API at {world.Quay.BaseUrl}, CA at {world.Quay.HttpBaseUrl}/_emulator/ca.pem)");
        report.Ok("operator", $"pid {world.Operator?.Id}, metrics {world.Operator?.MetricsEndpoint}, log {world.Repo.Relative(world.OperatorLogPath)}");
        if (world.Prometheus is { } prometheus)
        {
            report.Ok("Prometheus", $"{prometheus.Url}/alerts  (the operator's alerts, evaluated every second)");
            report.Detail($"namespaces by state: {prometheus.GraphUrl(ShowcaseQuery, table: false)}");
            report.Detail($"Quay calls per second by route and status: {prometheus.GraphUrl(QuayCallsQuery, table: false)}");
        }
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
