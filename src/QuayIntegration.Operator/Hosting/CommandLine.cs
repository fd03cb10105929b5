using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Where the operator's configuration comes from, in increasing precedence: environment variables
/// (<c>Operator__Workers=4</c>), the upstream operator's environment variable names, and the command line
/// (<c>--Operator:Workers=4</c> or the short flags below).
/// </summary>
public static partial class CommandLine
{
    /// <summary>Short command-line flags.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.OrdinalIgnoreCase)
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

    /// <summary>On/off flags: written alone they mean <c>true</c>, as Kubernetes components' boolean flags do.</summary>
    private static readonly HashSet<string> SwitchesOnTheirOwn = new(StringComparer.OrdinalIgnoreCase) { "--leader-elect", "--metrics-secure" };

    /// <summary>Settings of the host itself that the generic host reads from the command line.</summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase) { "environment", "contentRoot", "applicationName" };

    /// <summary>
    /// The arguments as the configuration is to read them: an on/off flag written alone (<c>--metrics-secure</c>, at
    /// the end or before another flag) becomes <c>--metrics-secure=true</c>; otherwise the configuration would take
    /// the next flag for its value, or drop it when it comes last, and leave the default in force.
    /// </summary>
    public static string[] Normalize(IReadOnlyList<string> args)
    {
        var normalized = new List<string>(args.Count);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var alone = i + 1 == args.Count || args[i + 1].StartsWith('-') || args[i + 1].StartsWith('/');
            normalized.Add(SwitchesOnTheirOwn.Contains(arg) && alone ? arg + "=true" : arg);
        }
        return [.. normalized];
    }

    /// <summary>
    /// What in the arguments (as <see cref="Normalize"/> leaves them) the configuration would silently ignore or misread: flags that are neither
    /// a short flag above, a configuration key (<c>--Section:Key=value</c>) nor a setting of the host; a flag whose
    /// value is missing; stray words. A mistyped flag (<c>--leader-election-lease-duration</c>) must stop the start,
    /// as it does for any Kubernetes controller, instead of leaving the default in force unnoticed.
    /// </summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<string> given)
    {
        var args = Normalize(given);
        var problems = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var name = arg.Split('=', 2)[0];
            var hasValue = arg.Contains('=', StringComparison.Ordinal);
            // "/key" is read as "--key"; a single dash only for the short flags (there are none).
            var key = name.StartsWith("--", StringComparison.Ordinal) ? name[2..] : name.StartsWith('/') ? name[1..] : null;
            var known = key is not null && (SwitchMappings.ContainsKey("--" + key) || key.Contains(':', StringComparison.Ordinal) || HostKeys.Contains(key));
            if (!known && key is null && hasValue && !name.StartsWith('-') && name.Contains(':', StringComparison.Ordinal)) known = true; // "Section:Key=value"
            if (!known)
            {
                problems.Add($"unknown flag or argument '{name}'");
                continue;
            }
            if (hasValue) continue;
            if (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                problems.Add($"flag '{name}' needs a value ({name}=VALUE)");
                continue;
            }
            i++; // "--flag value"
        }
        return problems;
    }

    /// <summary>What <c>--help</c> prints.</summary>
    public static string Usage()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("Usage: QuayIntegration.Operator [flags]");
        text.AppendLine();
        text.AppendLine("Flags (each also settable as --<key>=value or as the environment variable <key> with ':' written '__'):");
        foreach (var (flag, key) in SwitchMappings.OrderBy(m => m.Key, StringComparer.Ordinal))
            text.AppendLine(System.FormattableString.Invariant($"  {flag,-32} {key}"));
        text.AppendLine();
        text.AppendLine("Every other setting is given by its configuration key, e.g. --Operator:IntegrationRecheckInterval=1m; durations as 15s, 1m30s or 00:01:30.");
        return text.ToString();
    }

    public static void AddOperatorSources(this IConfigurationBuilder configuration, string[] args)
    {
        configuration.AddEnvironmentVariables();
        configuration.AddInMemoryCollection(UpstreamEnvironment());
        configuration.AddCommandLine(args, SwitchMappings);
        // Durations as Kubernetes components write them ("15s", "1m30s"), besides .NET's "00:00:15": read from all
        // the sources above and laid over them in .NET's form, which is what the options binder reads.
        var current = configuration as IConfiguration ?? configuration.Build();
        configuration.AddInMemoryCollection(GoDurations(current));
    }

    /// <summary>
    /// Every setting of <see cref="OperatorOptions"/> and of its sections that is a duration, by configuration key.
    /// The sections are named here rather than found by walking the properties' types: a trimmed native build keeps
    /// the property metadata only of types it is told will be reflected upon (CommandLineTests checks the list is whole).
    /// </summary>
    internal static readonly IReadOnlyList<string> DurationKeys =
    [
        .. DurationKeysOf(typeof(OperatorOptions), OperatorOptions.Section),
        .. DurationKeysOf(typeof(ControllerOptions), $"{OperatorOptions.Section}:{nameof(OperatorOptions.Controller)}"),
        .. DurationKeysOf(typeof(LeaderElectionOptions), $"{OperatorOptions.Section}:{nameof(OperatorOptions.LeaderElection)}"),
        .. DurationKeysOf(typeof(QuayOptions), $"{OperatorOptions.Section}:{nameof(OperatorOptions.Quay)}"),
        .. DurationKeysOf(typeof(WebhookOptions), $"{OperatorOptions.Section}:{nameof(OperatorOptions.Webhook)}"),
        .. DurationKeysOf(typeof(MetricsOptions), $"{OperatorOptions.Section}:{nameof(OperatorOptions.Metrics)}"),
    ];

    private static IEnumerable<string> DurationKeysOf([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, string prefix) =>
        type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(TimeSpan) || p.PropertyType == typeof(TimeSpan?))
            .Select(p => $"{prefix}:{p.Name}");

    private static Dictionary<string, string?> GoDurations(IConfiguration current)
    {
        var map = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in DurationKeys)
        {
            if (current[key] is not { } text) continue;
            if (GoDuration.TryParse(text, out var duration)) map[key] = duration.ToString("c", CultureInfo.InvariantCulture);
            // .NET reads a bare number as days ("15" = 15 days): refused as Go refuses it, with the reason in the value
            // the binder then cannot read (its error names the key).
            else if (NumberWithoutUnit().IsMatch(text) && text != "0") map[key] = $"{text} (a duration needs a unit: {text}s, {text}m or {text}h)";
        }
        return map;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9]+(\.[0-9]+)?\z")]
    private static partial System.Text.RegularExpressions.Regex NumberWithoutUnit();

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
