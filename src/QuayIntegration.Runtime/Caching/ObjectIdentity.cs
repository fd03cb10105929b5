using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime;

/// <summary>
/// How a cache reads what it files an object under (namespace and name) and the version it compares (the
/// resourceVersion), whatever type it keeps: KubernetesClient's models through their <see cref="V1ObjectMeta"/>, a
/// cache's own small types (<see cref="CachedObject"/>) through their fields.
/// </summary>
public sealed class ObjectIdentity<T>(Func<T, string?> namespaceOf, Func<T, string> nameOf, Func<T, string?> versionOf)
{
    /// <summary>The object's namespace, "" for a cluster-scoped one.</summary>
    public string NamespaceOf(T obj) => namespaceOf(obj) ?? "";

    public string NameOf(T obj) => nameOf(obj);

    public string? VersionOf(T obj) => versionOf(obj);

    public ObjectKey KeyOf(T obj) => new(namespaceOf(obj), nameOf(obj));
}

public static class ObjectIdentity
{
    public static ObjectIdentity<T> Kubernetes<T>() where T : IKubernetesObject<V1ObjectMeta> => KubernetesIdentity<T>.Instance;

    public static ObjectIdentity<T> Cached<T>() where T : CachedObject => CachedIdentity<T>.Instance;

    private static class KubernetesIdentity<T> where T : IKubernetesObject<V1ObjectMeta>
    {
        public static readonly ObjectIdentity<T> Instance = new(o => o.Metadata.NamespaceProperty, o => o.Metadata.Name, o => o.Metadata.ResourceVersion);
    }

    private static class CachedIdentity<T> where T : CachedObject
    {
        public static readonly ObjectIdentity<T> Instance = new(o => o.Namespace, o => o.Name, o => o.ResourceVersion);
    }
}
