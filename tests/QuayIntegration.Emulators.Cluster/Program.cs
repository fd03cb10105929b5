using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster;

// Runs an emulated cluster (API server + controllers) until Ctrl-C, for kubectl, the operator run locally, or the sandbox.
const string Usage = """
    usage: dotnet run --project tests/QuayIntegration.Emulators.Cluster -- --kubeconfig <path> [options]

      --kubeconfig <path>              where to write the kubeconfig (default: ./emulated-cluster.kubeconfig)
      --port <n>                       API server port on 127.0.0.1 (default: any free port)
      --no-openshift                   plain Kubernetes: no OpenShift APIs or controllers
      --no-build-capability            no builder service accounts, no build runner
      --no-deploymentconfig-capability no deployer service accounts
      --no-internal-registry           no integrated registry (image streams get no dockerImageRepository)
      --registry-pull-secrets          give every service account its <sa>-dockercfg-xxxxx pull secret
      --registry-ca <pem file>         trust this CA for registries (builds' pushes, image imports); repeatable
      --plain-http-registry <host:port> reach this registry over plain HTTP; repeatable
      --build-duration <ms>            time a build spends Running (default 50)
      --verbose                        log every controller action
    """;

var options = new EmulatedClusterOptions { KubeconfigPath = Path.GetFullPath("emulated-cluster.kubeconfig") };
var verbose = false;
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
    switch (args[i])
    {
        case "--kubeconfig": options.KubeconfigPath = Path.GetFullPath(Value()); break;
        case "--port": options.ApiServer.Port = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
        case "--no-openshift": options.OpenShift = false; break;
        case "--no-build-capability": options.BuildCapability = false; break;
        case "--no-deploymentconfig-capability": options.DeploymentConfigCapability = false; break;
        case "--no-internal-registry": options.InternalRegistryHostname = null; break;
        case "--registry-pull-secrets": options.InternalRegistryPullSecrets = true; break;
        case "--registry-ca": options.RegistryCaCertificatesPem.Add(File.ReadAllText(Value())); break;
        case "--plain-http-registry": options.PlainHttpRegistries.Add(Value()); break;
        case "--build-duration": options.BuildTimings.Running = TimeSpan.FromMilliseconds(double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)); break;
        case "--verbose": verbose = true; break;
        case "-h" or "--help": Console.WriteLine(Usage); return 0;
        default: Console.Error.WriteLine($"unknown argument {args[i]}\n{Usage}"); return 2;
    }
}

using var loggerFactory = LoggerFactory.Create(b => b
    .AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; })
    .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information));
await using var cluster = await EmulatedCluster.StartAsync(options, loggerFactory);
Console.WriteLine($"API server:  {cluster.BaseUrl}");
Console.WriteLine($"kubeconfig:  {cluster.KubeconfigPath}");
Console.WriteLine($"try:         kubectl --kubeconfig {cluster.KubeconfigPath} get namespaces");
Console.WriteLine("Ctrl-C to stop.");

// Ctrl-C (SIGINT) or a polite kill (SIGTERM) stops the cluster cleanly: controllers first, then the API server.
var stop = new TaskCompletionSource();
void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
using var onInterrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
await stop.Task;
Console.WriteLine("stopping");
return 0;
