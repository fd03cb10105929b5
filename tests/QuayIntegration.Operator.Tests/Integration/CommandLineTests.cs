using System.Diagnostics;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Testing;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The operator's process as a container runs it (the executable <see cref="OperatorBinary.Variable"/> names, as CI sets
/// it to the published build, else <c>dotnet QuayIntegration.Operator.dll …</c>): a command line or a
/// configuration it cannot run with ends it at once with exit code 2 and one line per problem on standard error,
/// never with a stack trace and never by running with a mistyped flag ignored.
/// </summary>
public sealed class CommandLineTests
{
    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    private static async Task<(int Code, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var (fileName, prefix) = OperatorBinary.Command(Path.Combine(AppContext.BaseDirectory, "QuayIntegration.Operator.dll"));
        var start = new ProcessStartInfo(fileName);
        foreach (var arg in prefix) start.ArgumentList.Add(arg);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Nothing from the test run's environment: no cluster to find, the operator on its own.
        start.Environment.Remove("KUBECONFIG");
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var knobPrefix in new[] { "DOTNET_", "COMPlus_" })
        {
            start.Environment.Remove(knobPrefix + "GCConserveMemory");
            start.Environment.Remove(knobPrefix + "gcServer");
        }
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return await ChildProcess.RunAsync(start, TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("--leader-election-lease-duration=15s", "unknown flag or argument '--leader-election-lease-duration'")] // the flag is --leader-elect-lease-duration
    [InlineData("--worker=2", "unknown flag or argument '--worker'")]
    [InlineData("-v", "unknown flag or argument '-v'")]
    [InlineData("-Operator:Workers=3", "unknown flag or argument '-Operator:Workers'")]
    [InlineData("kubeconfig", "unknown flag or argument 'kubeconfig'")]
    [InlineData("--quay-max-concurrency", "flag '--quay-max-concurrency' needs a value")] // followed by another flag
    public async Task An_unknown_flag_or_argument_or_a_missing_value_stops_the_start_and_is_named(string arg, string said)
    {
        var (code, _, error) = await RunAsync("--kubeconfig=/nonexistent", arg, "--workers", "2");
        Assert.Equal(OperatorCommand.UsageError, code);
        Assert.Contains(said, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_flag_without_its_value_at_the_end_is_refused()
    {
        var (code, _, error) = await RunAsync("--kubeconfig=/nonexistent", "--workers");
        Assert.Equal(OperatorCommand.UsageError, code);
        Assert.Contains("flag '--workers' needs a value", error);
    }

    [Theory]
    [InlineData("--workers=abc", "'abc' at 'Operator:Workers'")]
    [InlineData("--leader-elect-lease-duration=soon", "'soon' at 'Operator:LeaderElection:LeaseDuration'")]
    [InlineData("--webhook-cert-mode=vault", "Operator:Webhook:CertMode (--webhook-cert-mode) must be files or self-managed")]
    [InlineData("--quay-max-concurrency=0", "Operator:Quay:MaxConcurrentCalls (--quay-max-concurrency) must be at least 1")]
    [InlineData("--Operator:Controller:RetryQps=0", "Operator:Controller:RetryQps must be a positive number and Operator:Controller:RetryBurst at least 1")]
    [InlineData("--Operator:Controller:RetryBurst=0", "Operator:Controller:RetryQps must be a positive number and Operator:Controller:RetryBurst at least 1")]
    [InlineData("--leader-elect-lease-duration=5s", "RenewDeadline (00:00:10) must be shorter than LeaseDuration (00:00:05)")]
    [InlineData("--leader-elect-lease-duration=15", "a duration needs a unit: 15s, 15m or 15h")] // .NET alone would read 15 days
    [InlineData("--bind-address=localhost", "Operator:BindAddress (--bind-address) 'localhost' must be an IP address")]
    [InlineData("--Operator:IntegrationRecheckIntervall=1m", "'IntegrationRecheckIntervall'")] // a mistyped key
    public async Task A_value_the_operator_cannot_run_with_stops_the_start_in_one_line(string arg, string said)
    {
        var (code, _, error) = await RunAsync("--kubeconfig=/nonexistent", "--Operator:MetricsPort=0", "--Operator:BindAddress=127.0.0.1", arg);
        Assert.Equal(OperatorCommand.UsageError, code);
        var lines = error.Trim().Split('\n');
        Assert.Contains(lines, l => l.StartsWith("quay-integration: invalid configuration: ", StringComparison.Ordinal) && l.Contains(said, StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Durations_in_the_environment_are_read_in_kubernetes_form_and_judged_at_start()
    {
        // 5s is read (not refused as unreadable): it is then judged too short against the 10 s renew deadline.
        var (code, _, error) = await RunAsync(new Dictionary<string, string> { ["Operator__LeaderElection__LeaseDuration"] = "5s" },
            "--kubeconfig=/nonexistent", "--Operator:MetricsPort=0", "--Operator:BindAddress=127.0.0.1");
        Assert.Equal(OperatorCommand.UsageError, code);
        Assert.Contains("RenewDeadline (00:00:10) must be shorter than LeaseDuration (00:00:05)", error);
    }

    [Fact]
    public async Task Without_cluster_credentials_the_process_ends_with_the_reason()
    {
        var (code, _, error) = await RunAsync("--kubeconfig=/nonexistent/kubeconfig", "--Operator:MetricsPort=0", "--Operator:BindAddress=127.0.0.1",
            "--Operator:Webhook:Disabled=true");
        Assert.Equal(OperatorCommand.Failed, code);
        Assert.Contains("quay-integration: could not start: kubeconfig file not found at /nonexistent/kubeconfig", error);
        Assert.DoesNotContain("Unhandled exception", error);
    }

    [Fact]
    public async Task The_start_is_logged_with_the_runtime_and_the_GC_settings_the_project_chose()
    {
        // The project file asks the GC to conserve memory (9): the build under test, JIT or Native AOT, must carry it.
        var (code, output, _) = await RunAsync("--kubeconfig=/nonexistent/kubeconfig", "--Operator:MetricsPort=0", "--Operator:BindAddress=127.0.0.1", "--Operator:Webhook:Disabled=true");
        Assert.Equal(OperatorCommand.Failed, code);
        var start = output.Split('\n').Single(line => line.Contains("\"Name\":\"Starting\"", StringComparison.Ordinal));
        Assert.Contains("\"Gc\":\"workstation\"", start);
        Assert.Contains("\"ConserveMemory\":\"9\"", start);
        // A Native AOT publish is an executable with no runtimeconfig.json beside it; anything else runs under the JIT.
        var (fileName, hostArguments) = OperatorBinary.Command(Path.Combine(AppContext.BaseDirectory, "QuayIntegration.Operator.dll"));
        var nativeAot = hostArguments.Count == 0 && !File.Exists(fileName + ".runtimeconfig.json");
        Assert.Contains(nativeAot ? "\"Code\":\"Native AOT\"" : "\"Code\":\"JIT\"", start);
        // The webhook's connections complete their socket I/O inline: this runtime has the per-socket switch.
        Assert.Contains("\"WebhookIo\":\"inline\"", start);
    }

    [Fact]
    public async Task Help_lists_every_flag()
    {
        var (code, output, _) = await RunAsync("--help");
        Assert.Equal(OperatorCommand.Success, code);
        Assert.All(CommandLine.SwitchMappings, m => Assert.Contains($"  {m.Key}", output));
    }

    [Fact]
    public void Values_given_apart_from_their_flag_are_not_taken_for_arguments()
    {
        Assert.Empty(CommandLine.Problems(["--kubeconfig", "/k", "--workers", "3", "--Operator:Quay:MaxConcurrentCalls", "4",
            "--Serilog:MinimumLevel:Default=Debug", "Operator:Metrics:Secure=true", "--leader-elect=false", "--Workers=2", "/workers", "3",
            "--environment=Production"]));
        Assert.Equal(["unknown flag or argument '--kubeconfig-path'", "unknown flag or argument 'stray'"],
            CommandLine.Problems(["--kubeconfig-path=/k", "stray"]));
    }

    [Fact]
    public void An_on_off_flag_written_alone_means_true()
    {
        Assert.Equal(["--metrics-secure=true", "--workers", "2", "--leader-elect=true"],
            CommandLine.Normalize(["--metrics-secure", "--workers", "2", "--leader-elect"]));
        Assert.Equal(["--leader-elect", "false"], CommandLine.Normalize(["--leader-elect", "false"]));
    }

    [Fact]
    public void Every_duration_setting_of_every_section_is_read_in_kubernetes_form()
    {
        // Found here by walking the options' property types, as the operator cannot in a trimmed native build.
        static IEnumerable<string> Walk(Type type, string prefix) =>
            type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).SelectMany(p =>
                p.PropertyType == typeof(TimeSpan) || p.PropertyType == typeof(TimeSpan?) ? [$"{prefix}:{p.Name}"]
                : p.PropertyType.IsClass && p.PropertyType.Namespace?.StartsWith("QuayIntegration", StringComparison.Ordinal) == true ? Walk(p.PropertyType, $"{prefix}:{p.Name}")
                : []);

        var expected = Walk(typeof(OperatorOptions), OperatorOptions.Section).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("Operator:LeaderElection:LeaseDuration", expected);
        Assert.Equal(expected, CommandLine.DurationKeys.Order(StringComparer.Ordinal));
    }
}
