using System.Runtime.CompilerServices;
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
        return !RuntimeFeature.IsDynamicCodeSupported && File.Exists(KubernetesClientConfiguration.KubeConfigDefaultLocation)
            ? FromFile(KubernetesClientConfiguration.KubeConfigDefaultLocation)
            : KubernetesClientConfiguration.BuildDefaultConfig();
    }

    /// <summary>
    /// A kubeconfig file. Under Native AOT KubernetesClient's own loader cannot run: k8s.KubernetesYaml's static
    /// constructor orders model properties by <c>MetadataToken</c>, which Native AOT does not provide
    /// (InvalidOperationException "There is no metadata token available"). The kubeconfig models carry their YAML names
    /// as [YamlMember] attributes, so a plain YamlDotNet deserializer reads them the same way; the rest (contexts,
    /// certificates, tokens, exec plugins, relative paths through FileName) stays KubernetesClient's.
    /// </summary>
    private static KubernetesClientConfiguration FromFile(string path)
    {
        if (RuntimeFeature.IsDynamicCodeSupported) return KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
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
