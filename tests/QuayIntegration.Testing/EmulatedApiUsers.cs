using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Testing;

/// <summary>
/// Clients of the emulated API server that each authenticate as their own user, so that a fault
/// (<see cref="FaultInjector.Stall"/>) can single out one of them while the others' identical requests go through.
/// The API server enforces RBAC, and these users only tell clients apart, so they are members of system:masters (the
/// admin's rights, which every user had before authorization was enforced); an operator held to deploy/base/rbac.yaml
/// comes from OperatorEnvironment.
/// </summary>
public static class EmulatedApiUsers
{
    /// <summary>Writes a kubeconfig for a new token of <paramref name="username"/> into <paramref name="directory"/>.</summary>
    public static string KubeconfigFor(this KubernetesApiServer server, string username, string directory)
    {
        var token = $"{username}-{Guid.NewGuid():N}";
        server.AddUser(token, username, "system:masters");
        var path = Path.Combine(directory, $"{username}-{Guid.NewGuid():N}.kubeconfig");
        server.WriteKubeconfigForToken(path, token);
        return path;
    }

    /// <summary>The operator's <see cref="KubeApi"/> authenticated as <paramref name="username"/>.</summary>
    public static KubeApi KubeApiFor(this KubernetesApiServer server, string username, TimeSpan requestTimeout, TimeProvider time)
    {
        var path = server.KubeconfigFor(username, Path.GetTempPath());
        try
        {
            return new KubeApi(Kubeconfig.Load(path), requestTimeout, time);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
