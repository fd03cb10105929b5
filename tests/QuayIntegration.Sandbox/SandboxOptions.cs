using System.Globalization;

namespace QuayIntegration.Sandbox;

/// <summary>Whether the walkthrough's build steps (rewritten output, Complete, ImageStream tag on Quay) run.</summary>
public enum BuildSteps
{
    /// <summary>Run them when the operator serves its admission webhook, skip them (saying why) when it does not.</summary>
    Auto,
    /// <summary>Always run them; without a webhook they report honestly that the build was not rewritten.</summary>
    Run,
    Skip,
}

public sealed class SandboxOptions
{
    public const string Usage = """
        usage: dotnet run --project tests/QuayIntegration.Sandbox [-- options]

        Starts an emulated OpenShift cluster and an emulated Quay, installs the CRD and webhook configuration from deploy/,
        creates the token Secret and a QuayIntegration, runs the real operator binary against them and replays the
        product walkthrough, printing the evidence of every step. Exits 0 only if every step's evidence was observed.

          --stay               stay up afterwards (kubeconfig for kubectl, the emulated Quay's page, and Prometheus with the
                               operator's alerts when prometheus is installed) until Ctrl-C
          --secure-metrics     serve /metrics as deploy/ does: HTTPS, only to a token allowed get /metrics (Prometheus gets one)
          --run-build-steps    run the build steps even when the operator serves no admission webhook
          --skip-build-steps   skip the build steps (rewritten output, build Complete, ImageStream tag on Quay)
          --no-kubectl         apply the manifests with KubernetesClient even when kubectl is on PATH
          --timeout <seconds>  how long each step waits for its evidence (default 30)
          --work-dir <path>    where the kubeconfig, certificates and operator log go (default .sandbox/ in the repository)
        """;

    public bool Stay { get; set; }
    /// <summary>The operator serves /metrics over HTTPS with token review (deploy/'s setting) rather than plain HTTP.</summary>
    public bool SecureMetrics { get; set; }
    /// <summary>Start Prometheus (when installed) scraping the operator with the alerts loaded; --stay turns it on.</summary>
    public bool Prometheus { get; set; }
    public BuildSteps BuildSteps { get; set; } = BuildSteps.Auto;
    public bool PreferKubectl { get; set; } = true;
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Null = <c>.sandbox/</c> at the repository root.</summary>
    public string? WorkDirectory { get; set; }

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with the usage on a bad argument.</summary>
    public static SandboxOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SandboxOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--stay": options.Stay = true; options.Prometheus = true; break;
                case "--secure-metrics": options.SecureMetrics = true; break;
                case "--run-build-steps": options.BuildSteps = BuildSteps.Run; break;
                case "--skip-build-steps": options.BuildSteps = BuildSteps.Skip; break;
                case "--no-kubectl": options.PreferKubectl = false; break;
                case "--timeout":
                    options.StepTimeout = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                        ? TimeSpan.FromSeconds(seconds)
                        : throw new ArgumentException("--timeout needs a positive number of seconds");
                    break;
                case "--work-dir": options.WorkDirectory = Path.GetFullPath(Value()); break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        return options;
    }
}
