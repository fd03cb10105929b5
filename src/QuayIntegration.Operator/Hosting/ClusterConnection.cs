using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Hosting;

/// <summary>Which cluster the operator talks to, and which namespace it runs in.</summary>
public static class ClusterConnection
{
    /// <summary>
    /// kubectl's order: --kubeconfig, then KUBECONFIG (its files merged), then the pod's service account, then
    /// ~/.kube/config. The operator reads kubeconfig files itself (<see cref="Kubeconfig"/>) rather than through
    /// KubernetesClient, whose loader keeps YAML metadata for every Kubernetes model for the life of the process and
    /// reads an exec plugin's answer through its JSON context of all 1,199 models, which a Native AOT build then has
    /// to compile whole.
    /// </summary>
    public static ClusterAccess Configuration(OperatorOptions options, TimeProvider? time = null)
    {
        if (!string.IsNullOrEmpty(options.Kubeconfig)) return Kubeconfig.Load(options.Kubeconfig, time);
        if (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } paths)
            return Kubeconfig.Load(paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries), time);
        if (InClusterAccess.IsAvailable()) return InClusterAccess.Load(time: time);
        if (File.Exists(Kubeconfig.DefaultPath)) return Kubeconfig.Load(Kubeconfig.DefaultPath, time);
        throw new KubeconfigException(
            $"no cluster to connect to: no --kubeconfig, no KUBECONFIG, not in a pod (KUBERNETES_SERVICE_HOST), and no {Kubeconfig.DefaultPath}");
    }

    /// <summary>The pod's namespace (POD_NAMESPACE or the service account mount): the leader Lease's and the operator's own.</summary>
    public static string CurrentNamespace()
    {
        if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns) return ns;
        const string file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        return File.Exists(file) ? File.ReadAllText(file).Trim() : "default";
    }
}
