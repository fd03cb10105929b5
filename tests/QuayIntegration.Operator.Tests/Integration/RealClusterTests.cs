using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using QuayIntegration.Operator.Hosting;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>Runs only when asked: QUAYINTEGRATION_REAL_CLUSTER=1 and KUBECONFIG pointing at a cluster with the CRD and one QuayIntegration.</summary>
public sealed class RealClusterFactAttribute : FactAttribute
{
    public RealClusterFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("QUAYINTEGRATION_REAL_CLUSTER") != "1" || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBECONFIG")))
            Skip = "Real-cluster test: set QUAYINTEGRATION_REAL_CLUSTER=1 and KUBECONFIG (cluster with the CRD, one QuayIntegration and a reachable Quay) to run it.";
    }
}

public sealed class RealClusterTests
{
    [RealClusterFact]
    public async Task Namespace_is_set_up_and_released_on_a_real_cluster()
    {
        var clusterId = Environment.GetEnvironmentVariable("QUAYINTEGRATION_CLUSTER_ID") ?? "openshift";
        var app = OperatorHost.Build(["--Operator:MetricsPort=0", "--Operator:BindAddress=127.0.0.1", "--Operator:Webhook:Disabled=true",
            "--Operator:LeaderElection:Enabled=false"]);
        await app.StartAsync();
        using var kube = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Environment.GetEnvironmentVariable("KUBECONFIG")!));
        var name = "qi-e2e-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await kube.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (true)
            {
                var sa = await kube.CoreV1.ReadNamespacedServiceAccountAsync("default", name);
                if (sa.ImagePullSecrets?.Any(s => s.Name == $"default-quay-{clusterId}") == true) break;
                Assert.True(DateTime.UtcNow < deadline, "default service account was not linked to its Quay Secret in time");
                await Task.Delay(1000);
            }
            await kube.CoreV1.DeleteNamespaceAsync(name);
            while (true)
            {
                try { await kube.CoreV1.ReadNamespaceAsync(name); }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound) { break; }
                Assert.True(DateTime.UtcNow < deadline.AddMinutes(2), "namespace was not released in time");
                await Task.Delay(1000);
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
