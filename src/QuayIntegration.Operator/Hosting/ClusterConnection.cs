using k8s;

namespace QuayIntegration.Operator.Hosting;

/// <summary>Which cluster the operator talks to, and which namespace it runs in.</summary>
public static class ClusterConnection
{
    /// <summary>--kubeconfig, then KUBECONFIG, then in-cluster, then ~/.kube/config.</summary>
    public static KubernetesClientConfiguration Configuration(OperatorOptions options)
    {
        if (!string.IsNullOrEmpty(options.Kubeconfig)) return KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig);
        if (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } path)
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path.Split(Path.PathSeparator)[0]);
        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildDefaultConfig();
    }

    /// <summary>The pod's namespace (POD_NAMESPACE or the service account mount): the leader Lease's and the operator's own.</summary>
    public static string CurrentNamespace()
    {
        if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns) return ns;
        const string file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        return File.Exists(file) ? File.ReadAllText(file).Trim() : "default";
    }
}
