using System.Diagnostics;
using k8s;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

public sealed class EmulatedClusterTests
{
    [Fact]
    public async Task Kubeconfig_ConnectsAnyClient_AndDisposalStopsEverythingPromptly()
    {
        var cluster = await StartClusterAsync();
        var kubeconfig = cluster.KubeconfigPath;
        using (var client = cluster.NewClient())
        {
            var namespaces = await client.CoreV1.ListNamespaceAsync();
            Assert.Contains(namespaces.Items, n => n.Metadata.Name == "default");
        }
        Assert.StartsWith("https://127.0.0.1:", cluster.BaseUrl);
        Assert.Contains(cluster.BaseUrl, await File.ReadAllTextAsync(kubeconfig));

        var stopwatch = Stopwatch.StartNew();
        await cluster.DisposeAsync();
        // Controllers that ignored cancellation would hold disposal for its 10 s limit.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(8), $"disposal took {stopwatch.Elapsed}");
        Assert.False(File.Exists(kubeconfig), "a temporary kubeconfig is removed with the cluster");
    }

    [Fact]
    public async Task PlainKubernetes_HasNoOpenShiftControllers()
    {
        await using var cluster = await StartClusterAsync(o => o.OpenShift = false);
        var name = UniqueName("plain");
        await cluster.Client.CoreV1.CreateNamespaceAsync(new() { Metadata = new() { Name = name } });
        await cluster.Oc.WaitForServiceAccountAsync(name, "default", WaitTimeout);
        // default exists; give the (absent) OpenShift controllers ample time to have acted, then check they did not.
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        Assert.False(await ExistsAsync(() => cluster.Client.CoreV1.ReadNamespacedServiceAccountAsync("builder", name)));
        var ns = await cluster.Client.CoreV1.ReadNamespaceAsync(name);
        Assert.False(ns.Metadata.Annotations?.ContainsKey("openshift.io/sa.scc.uid-range") ?? false);
    }
}
