using QuayIntegration.Emulators.Kubernetes.Hosting;

// Runnable host: dotnet run --project tests/QuayIntegration.Emulators.Kubernetes -- --kubeconfig <path> [--port N]
//   [--token T] [--registry-ca <pem file>]... [--no-internal-registry] [--no-openshift]
var options = new ApiServerOptions();
string? kubeconfig = null;
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--kubeconfig": kubeconfig = Value(); break;
        case "--port": options.Port = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
        case "--token": options.AdminToken = Value(); break;
        case "--registry-ca": options.RegistryCaCertificatesPem.Add(File.ReadAllText(Value())); break;
        case "--internal-registry": options.InternalRegistryHostname = Value(); break;
        case "--no-internal-registry": options.InternalRegistryHostname = null; break;
        case "--no-openshift": options.ServeOpenShiftApis = false; break;
        case "-h" or "--help":
            Console.WriteLine("usage: --kubeconfig <path> [--port N] [--token T] [--registry-ca <pem>]... [--internal-registry host:port | --no-internal-registry] [--no-openshift]");
            return 0;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]} (see --help)");
            return 2;
    }
}

await using var server = await KubernetesApiServer.StartAsync(options);
if (kubeconfig is not null) server.WriteKubeconfig(kubeconfig);
Console.WriteLine($"Kubernetes API emulator listening on {server.BaseUrl}");
if (kubeconfig is not null) Console.WriteLine($"kubeconfig written to {Path.GetFullPath(kubeconfig)}");
Console.WriteLine("Press Ctrl-C to stop.");
var done = new TaskCompletionSource();
void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true; // shut down cleanly below instead of being killed
    done.TrySetResult();
}
using var onInterrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
using var onQuit = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGQUIT, Stop);
await done.Task;
Console.WriteLine("stopping");
return 0;
