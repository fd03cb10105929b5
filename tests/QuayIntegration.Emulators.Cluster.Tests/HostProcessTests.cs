using System.Diagnostics;
using k8s;
using k8s.Models;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>The runnable host: writes the kubeconfig, serves a working cluster, and stops cleanly on SIGTERM.</summary>
public sealed class HostProcessTests
{
    [Fact]
    public async Task Host_ServesTheClusterFromItsKubeconfig_AndStopsOnSigterm()
    {
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"cluster-host-{Guid.NewGuid():N}.kubeconfig");
        var hostAssembly = typeof(EmulatedCluster).Assembly.Location;
        using var host = Process.Start(new ProcessStartInfo("dotnet", [hostAssembly, "--kubeconfig", kubeconfig, "--no-deploymentconfig-capability"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = new System.Text.StringBuilder();
        host.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        host.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            await WaitForAsync(_ => Task.FromResult(File.Exists(kubeconfig) && File.ReadAllText(kubeconfig).Contains("server:") ? (object)true : null),
                "the host to write its kubeconfig");
            using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var name = UniqueName("hosted");
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
            await WaitForAsync(async ct => await ExistsAsync(() => client.CoreV1.ReadNamespacedServiceAccountAsync("builder", name, cancellationToken: ct)) ? (object)true : null,
                "the builder service account, made by the host's controllers");
            Assert.False(await ExistsAsync(() => client.CoreV1.ReadNamespacedServiceAccountAsync("deployer", name)));

            using (var kill = Process.Start("kill", ["-TERM", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await host.WaitForExitAsync(stopped.Token);
            Assert.Equal(0, host.ExitCode);
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }
            File.Delete(kubeconfig);
        }
        lock (output)
        {
            Assert.Contains("API server:  https://127.0.0.1:", output.ToString());
        }
    }
}
