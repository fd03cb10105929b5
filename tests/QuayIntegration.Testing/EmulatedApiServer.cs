using k8s;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Testing;

/// <summary>
/// An emulated API server with the operator's <see cref="KubeApi"/> and a KubernetesClient pointed at it through a
/// kubeconfig, for tests of the controller runtime (informers) over real list and watch.
/// </summary>
public sealed class EmulatedApiServer : IAsyncDisposable
{
    private readonly string _kubeconfig;

    private EmulatedApiServer(KubernetesApiServer server, string kubeconfig)
    {
        Server = server;
        _kubeconfig = kubeconfig;
        Api = new KubeApi(Kubeconfig.Load(kubeconfig));
        Client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
    }

    public KubernetesApiServer Server { get; }
    public KubeApi Api { get; }
    public k8s.Kubernetes Client { get; }

    public static async Task<EmulatedApiServer> StartAsync()
    {
        var server = await KubernetesApiServer.StartAsync();
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"runtime-tests-{Guid.NewGuid():N}.kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        return new EmulatedApiServer(server, kubeconfig);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Api.Dispose();
        await Server.DisposeAsync();
        File.Delete(_kubeconfig);
    }
}
