using Microsoft.Extensions.Configuration;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Where the operator's configuration comes from, in increasing precedence: environment variables
/// (<c>Operator__Workers=4</c>), the upstream operator's environment variable names, and the command line
/// (<c>--Operator:Workers=4</c> or the short flags below).
/// </summary>
public static class CommandLine
{
    /// <summary>Short command-line flags.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new()
    {
        ["--kubeconfig"] = "Operator:Kubeconfig",
        ["--workers"] = "Operator:Workers",
        ["--metrics-port"] = "Operator:MetricsPort",
        ["--metrics-secure"] = "Operator:Metrics:Secure",
        ["--metrics-secure-port"] = "Operator:Metrics:SecurePort",
        ["--bind-address"] = "Operator:BindAddress",
        ["--webhook-port"] = "Operator:Webhook:Port",
        ["--webhook-cert-mode"] = "Operator:Webhook:CertMode",
        ["--leader-elect"] = "Operator:LeaderElection:Enabled",
        ["--leader-election-namespace"] = "Operator:LeaderElection:Namespace",
        ["--operator-namespace"] = "Operator:OperatorNamespace",
        ["--leader-election-id"] = "Operator:LeaderElection:LeaseName",
        ["--leader-elect-lease-duration"] = "Operator:LeaderElection:LeaseDuration",
        ["--leader-elect-renew-deadline"] = "Operator:LeaderElection:RenewDeadline",
        ["--leader-elect-retry-period"] = "Operator:LeaderElection:RetryPeriod",
        ["--api-request-timeout"] = "Operator:ApiRequestTimeout",
        ["--resync-period"] = "Operator:ResyncPeriod",
        ["--quay-max-concurrency"] = "Operator:Quay:MaxConcurrentCalls",
    };

    public static void AddOperatorSources(this IConfigurationBuilder configuration, string[] args)
    {
        configuration.AddEnvironmentVariables();
        configuration.AddInMemoryCollection(UpstreamEnvironment());
        configuration.AddCommandLine(args, SwitchMappings);
    }

    /// <summary>The environment variable names documented by the upstream operator (DISABLE_WEBHOOK, WEBHOOK_CERT_DIR).</summary>
    private static Dictionary<string, string?> UpstreamEnvironment()
    {
        var map = new Dictionary<string, string?>();
        if (Environment.GetEnvironmentVariable("DISABLE_WEBHOOK") is { Length: > 0 } disable)
            map["Operator:Webhook:Disabled"] = (disable.Equals("true", StringComparison.OrdinalIgnoreCase) || disable == "1").ToString();
        if (Environment.GetEnvironmentVariable("WEBHOOK_CERT_DIR") is { Length: > 0 } dir) map["Operator:Webhook:CertDir"] = dir;
        return map;
    }
}
