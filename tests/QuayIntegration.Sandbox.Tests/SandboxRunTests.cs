using System.Diagnostics;
using System.Text.RegularExpressions;
using QuayIntegration.Sandbox;
using QuayIntegration.Sandbox.Output;
using Xunit.Abstractions;

namespace QuayIntegration.Sandbox.Tests;

/// <summary>
/// `dotnet run --project tests/QuayIntegration.Sandbox` in-process: the same entry point, the real operator binary as a
/// child process, both emulators. Sequential (one class) because each run starts a whole world.
/// </summary>
public sealed partial class SandboxRunTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]   // kubectl apply, when kubectl is on PATH (the default)
    [InlineData(false)]  // --no-kubectl: the same manifests through KubernetesClient
    public async Task The_walkthrough_is_observed_end_to_end_and_everything_is_stopped(bool preferKubectl)
    {
        var workDirectory = Directory.CreateTempSubdirectory("quay-sandbox-test-").FullName;
        var text = new StringWriter();
        var options = new SandboxOptions { WorkDirectory = workDirectory, PreferKubectl = preferKubectl, StepTimeout = TimeSpan.FromSeconds(20) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        int exitCode;
        try
        {
            exitCode = await SandboxRunner.RunAsync(options, new Report(text, color: false), deadline.Token);
        }
        finally
        {
            output.WriteLine(text.ToString());
        }
        var run = text.ToString();

        Assert.True(exitCode == SandboxRunner.Success, $"the sandbox exited {exitCode}:\n{run}");
        Assert.Contains("✓ Quay organization openshift_e2e-demo", run);
        Assert.Contains("openshift_e2e-demo+builder, openshift_e2e-demo+default, openshift_e2e-demo+deployer", run);
        Assert.Contains("✓ Secret builder-quay-openshift", run);
        Assert.Contains("✓ ServiceAccount builder  secrets: [builder-quay-openshift]  imagePullSecrets: [builder-quay-openshift]", run);
        Assert.Contains("✓ Quay repository openshift_e2e-demo/httpd-example", run);
        Assert.Contains("✓ Quay organization openshift_e2e-demo deleted", run);
        Assert.DoesNotContain("✗", run);
        // The build steps either ran and passed, or were skipped only because this operator build serves no webhook.
        if (run.Contains("no admission webhook (issue 5)", StringComparison.Ordinal))
        {
            Assert.Contains("– build steps skipped: this operator build has no admission webhook (issue 5)", run);
        }
        else
        {
            Assert.Contains("output  ImageStreamTag httpd-example:latest  →  DockerImage", run);
            Assert.Contains("✓ Build httpd-example-1 Complete", run);
            Assert.Contains("✓ ImageStream httpd-example tag latest", run);
        }

        // Clean shutdown: the operator child process is gone once the run returns.
        var pid = int.Parse(OperatorPid().Match(run).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(IsRunning(pid), $"the operator (pid {pid}) is still running after the sandbox returned");
        Directory.Delete(workDirectory, recursive: true);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"operator started  pid (\d+)")]
    private static partial Regex OperatorPid();
}
