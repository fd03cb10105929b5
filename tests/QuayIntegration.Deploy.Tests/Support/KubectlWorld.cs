using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>An emulated API server, and the real kubectl pointed at it by a kubeconfig in a directory of its own.</summary>
public sealed class KubectlWorld : IAsyncDisposable
{
    private KubectlWorld(string directory, KubernetesApiServer server, Kubectl kubectl)
    {
        Directory = directory;
        Server = server;
        Kubectl = kubectl;
    }

    /// <summary>A temporary directory for the test's files, deleted with the world.</summary>
    public string Directory { get; }
    public KubernetesApiServer Server { get; }
    public Kubectl Kubectl { get; }

    public static async Task<KubectlWorld> StartAsync(string directoryPrefix)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory(directoryPrefix).FullName;
        var server = await KubernetesApiServer.StartAsync(new ApiServerOptions());
        var kubeconfig = Path.Combine(directory, "kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        return new KubectlWorld(directory, server, new Kubectl(kubeconfig));
    }

    public async ValueTask DisposeAsync()
    {
        Kubectl.Dispose();
        await Server.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
