using System.Diagnostics;
using k8s;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>The runnable host: started as a process with --kubeconfig, reachable through the kubeconfig it writes.</summary>
public sealed class HostProcessTests
{
    [Fact]
    public async Task Host_prints_its_url_writes_a_kubeconfig_and_serves_until_stopped()
    {
        var directory = Path.Combine(Path.GetTempPath(), "k8s-emulator-host-" + Guid.NewGuid().ToString("N")[..8]);
        var kubeconfig = Path.Combine(directory, "kubeconfig");
        // The host assembly sits next to the tests (project reference); run it as `dotnet <dll>` like `dotnet run` does.
        var hostDll = Path.Combine(AppContext.BaseDirectory, "QuayIntegration.Emulators.Kubernetes.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { hostDll, "--kubeconfig", kubeconfig }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            string? url = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (url is null && await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
                if (line.StartsWith("Kubernetes API emulator listening on ", StringComparison.Ordinal)) url = line[37..];
            Assert.NotNull(url);
            Assert.StartsWith("https://127.0.0.1:", url);

            using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var namespaces = await client.CoreV1.ListNamespaceAsync();
            Assert.Contains(namespaces.Items, n => n.Metadata.Name == "default");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(directory, true);
        }
    }
}
