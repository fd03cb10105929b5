using System.Diagnostics;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Testing;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The operator's process as a container runs it (<c>dotnet QuayIntegration.Operator.dll …</c>): a command line or a
/// configuration it cannot run with ends it at once with exit code 2 and one line per problem on standard error,
/// never with a stack trace and never by running with a mistyped flag ignored.
/// </summary>
public sealed class CommandLineTests
{
    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "QuayIntegration.Operator.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Nothing from the test run's environment: no cluster to find, the operator on its own.
        start.Environment.Remove("KUBECONFIG");
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        return await ChildProcess.RunAsync(start, TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("--leader-election-lease-duration=15s", "'--leader-election-lease-duration'")] // the flag is --leader-elect-lease-duration
    [InlineData("--worker=2", "'--worker'")]
    [InlineData("-v", "'-v'")]
    [InlineData("kubeconfig", "'kubeconfig'")]
    public async Task An_unknown_flag_or_argument_stops_the_start_and_is_named(string arg, string named)
    {
        var (code, _, error) = await RunAsync("--kubeconfig=/nonexistent", arg, "--workers", "2");
        Assert.Equal(OperatorCommand.UsageError, code);
        Assert.Contains($"unknown flag or argument {named}", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--workers=abc", "'abc' at 'Operator:Workers'")]
    [InlineData("--leader-elect-lease-duration=soon", "'soon' at 'Operator:LeaderElection:LeaseDuration'")]
    [InlineData("--webhook-cert-mode=vault", "Operator:Webhook:CertMode (--webhook-cert-mode) must be files or self-managed")]
    [InlineData("--quay-max-concurrency=0", "Operator:Quay:MaxConcurrentCalls (--quay-max-concurrency) must be at least 1")]
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
    public async Task A_cluster_that_cannot_be_reached_ends_the_process_with_the_reason()
    {
        var (code, _, error) = await RunAsync("--kubeconfig=/nonexistent/kubeconfig", "--Operator:MetricsPort=0", "--Operator:BindAddress=127.0.0.1",
            "--Operator:Webhook:Disabled=true");
        Assert.Equal(OperatorCommand.StartFailed, code);
        Assert.Contains("quay-integration: could not start: kubeconfig file not found at /nonexistent/kubeconfig", error);
        Assert.DoesNotContain("Unhandled exception", error);
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
        Assert.Empty(CommandLine.Unrecognized(["--kubeconfig", "/k", "--workers", "3", "--Operator:Quay:MaxConcurrentCalls", "4",
            "--Serilog:MinimumLevel:Default=Debug", "Operator:Metrics:Secure=true", "--leader-elect=false"]));
        Assert.Equal(["--kubeconfig-path", "stray"], CommandLine.Unrecognized(["--kubeconfig-path=/k", "stray"]));
    }
}
