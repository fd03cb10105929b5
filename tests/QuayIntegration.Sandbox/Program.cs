using System.Runtime.InteropServices;
using System.Text;
using QuayIntegration.Sandbox;
using QuayIntegration.Sandbox.Output;

// `dotnet run --project tests/QuayIntegration.Sandbox [-- --stay]`: see SandboxOptions.Usage and SandboxRunner.
SandboxOptions options;
try
{
    if (args is ["-h" or "--help"]) { Console.WriteLine(SandboxOptions.Usage); return 0; }
    options = SandboxOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\n\n{SandboxOptions.Usage}");
    return 2;
}

Console.OutputEncoding = Encoding.UTF8;
// Ctrl-C and SIGTERM end the run cleanly: the walkthrough stops waiting, then the operator child process and the
// emulators are shut down by the runner's cleanup instead of the process dying around them.
using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await SandboxRunner.RunAsync(options, Report.ForConsole(), stop.Token);
