using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime;

/// <summary>
/// Names one object of a kind: its namespace (null for cluster-scoped kinds) and name. The key of informer caches and
/// work queues, so nothing splits <c>"namespace/name"</c> strings by hand.
/// </summary>
public readonly record struct ObjectKey
{
    public ObjectKey(string? @namespace, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Namespace = string.IsNullOrEmpty(@namespace) ? null : @namespace;
        Name = name;
    }

    public string? Namespace { get; }
    public string Name { get; }

    /// <summary>A cluster-scoped object, or a namespace by its name.</summary>
    public static ObjectKey Cluster(string name) => new(null, name);

    public static ObjectKey Of(IKubernetesObject<V1ObjectMeta> obj) => new(obj.Metadata.NamespaceProperty, obj.Metadata.Name);

    /// <summary>kubectl's and client-go's spelling: <c>namespace/name</c>, or <c>name</c> alone.</summary>
    public override string ToString() => Namespace is null ? Name : $"{Namespace}/{Name}";
}
