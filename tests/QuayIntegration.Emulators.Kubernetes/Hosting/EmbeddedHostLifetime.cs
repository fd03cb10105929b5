using Microsoft.Extensions.Hosting;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>
/// The API server is embedded in test processes, so it must not take over Ctrl-C/SIGTERM the way the default console
/// lifetime does; its owner (a test, or Program.cs) decides when it stops.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
