using k8s.Models;

namespace QuayIntegration.Runtime;

/// <summary>
/// The base of a cache's own type for a kind whose readers need a few of its fields: the object's namespace, name and
/// resourceVersion as plain fields, plus what the derived type keeps. KubernetesClient's models carry a
/// <see cref="V1ObjectMeta"/> of 168 bytes before any of its strings (sixteen fields, most of them never read), on every
/// one of the hundreds of thousands of objects a large cluster's caches hold; this base is 40 bytes. A cached object
/// is built once from the object the API server sent (<see cref="Informer{TWire,T}"/>'s projection) and never changed.
/// </summary>
public abstract class CachedObject
{
    protected CachedObject(string? @namespace, string name, string? resourceVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Namespace = string.IsNullOrEmpty(@namespace) ? null : @namespace;
        Name = name;
        ResourceVersion = resourceVersion;
    }

    /// <summary>From the metadata as it came (tests, and objects read from the API server outside the cache).</summary>
    protected CachedObject(V1ObjectMeta metadata) : this(metadata.NamespaceProperty, metadata.Name, metadata.ResourceVersion)
    {
    }

    public string? Namespace { get; }
    public string Name { get; }
    public string? ResourceVersion { get; }

    /// <summary>The key of the namespace the object lives in.</summary>
    public ObjectKey NamespaceKey => ObjectKey.Cluster(Namespace!);
}
