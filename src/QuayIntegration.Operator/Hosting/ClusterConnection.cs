using k8s;
using k8s.KubeConfigModels;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace QuayIntegration.Operator.Hosting;

/// <summary>Which cluster the operator talks to, and which namespace it runs in.</summary>
public static class ClusterConnection
{
    /// <summary>--kubeconfig, then KUBECONFIG, then in-cluster, then ~/.kube/config.</summary>
    public static KubernetesClientConfiguration Configuration(OperatorOptions options)
    {
        if (!string.IsNullOrEmpty(options.Kubeconfig)) return FromFile(options.Kubeconfig);
        if (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } path)
            return FromFile(path.Split(Path.PathSeparator)[0]);
        if (KubernetesClientConfiguration.IsInCluster()) return KubernetesClientConfiguration.InClusterConfig();
        return File.Exists(KubernetesClientConfiguration.KubeConfigDefaultLocation)
            ? FromFile(KubernetesClientConfiguration.KubeConfigDefaultLocation)
            : KubernetesClientConfiguration.BuildDefaultConfig();
    }

    /// <summary>
    /// A kubeconfig file, read with a plain YamlDotNet deserializer (the kubeconfig models carry their YAML names as
    /// [YamlMember] attributes); the rest (contexts, certificates, tokens, exec plugins, relative paths through
    /// FileName) stays KubernetesClient's. Not KubernetesClient's own loader, for two reasons: it goes through
    /// k8s.KubernetesYaml, whose static serializer keeps YamlDotNet attribute overrides for every Kubernetes model for
    /// the life of the process (about 5 MB of the operator's heap, for a file read once), and whose static constructor
    /// orders properties by <c>MetadataToken</c>, which Native AOT does not provide ("There is no metadata token
    /// available"). One reader for every build, so the one tests exercise is the one a native build runs.
    /// </summary>
    private static KubernetesClientConfiguration FromFile(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new k8s.Exceptions.KubeConfigException($"kubeconfig file not found at {file.FullName}");
        var config = KubeconfigReader.Deserialize<K8SConfiguration>(File.ReadAllText(file.FullName));
        config.FileName = file.FullName;
        return KubernetesClientConfiguration.BuildConfigFromConfigObject(config);
    }

    private static readonly IDeserializer KubeconfigReader = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithAttemptingUnquotedStringTypeDeserialization()
        .IgnoreUnmatchedProperties()
        .Build();

    /// <summary>The pod's namespace (POD_NAMESPACE or the service account mount): the leader Lease's and the operator's own.</summary>
    public static string CurrentNamespace()
    {
        if (Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } ns) return ns;
        const string file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        return File.Exists(file) ? File.ReadAllText(file).Trim() : "default";
    }
}
