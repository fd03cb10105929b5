using Microsoft.Extensions.Hosting;

namespace QuayIntegration.Emulators.Quay.Hosting;

/// <summary>
/// A host lifetime that listens to no signals. The emulator is mostly a library inside test processes, which must
/// keep their own Ctrl-C/SIGTERM handling; the runnable host handles signals itself (EmulatorCommandLine).
/// </summary>
public sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
