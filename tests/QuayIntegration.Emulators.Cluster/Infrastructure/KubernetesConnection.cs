using k8s;

namespace QuayIntegration.Emulators.Cluster.Infrastructure;

/// <summary>
/// One connection to the API server from a kubeconfig, as a real controller process has: the typed KubernetesClient,
/// plus a dynamic client sharing its HTTP pipeline (TLS trust of the kubeconfig's CA, bearer token).
/// </summary>
public sealed class KubernetesConnection : IDisposable
{
    private KubernetesConnection(k8s.Kubernetes client, DynamicApi dynamic)
    {
        Client = client;
        Dynamic = dynamic;
    }

    public k8s.Kubernetes Client { get; }
    public DynamicApi Dynamic { get; }

    public static KubernetesConnection FromKubeconfig(string kubeconfigPath)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        var pipelineHead = new PassThroughHandler();
        var client = new k8s.Kubernetes(config, pipelineHead);
        return new KubernetesConnection(client, new DynamicApi(client, pipelineHead));
    }

    public void Dispose()
    {
        Dynamic.Dispose();
        Client.Dispose();
    }

    /// <summary>Does nothing itself: it gives the dynamic client a handle on the head of the typed client's pipeline.</summary>
    private sealed class PassThroughHandler : DelegatingHandler;
}
