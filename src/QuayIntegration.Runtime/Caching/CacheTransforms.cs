using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime;

/// <summary>
/// What an informer drops from an object before caching it, like controller-runtime's cache transforms: the cache
/// holds every object of a kind for the life of the process, so fields nobody reads are memory spent N times over.
/// A transform may change the object it is given (it was just deserialized and is not shared yet) and returns it.
/// </summary>
public static class CacheTransforms
{
    /// <summary>kubectl's copy of the whole applied object; large, and read by nothing but kubectl.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>
    /// What no consumer of any cache reads: <c>metadata.managedFields</c> (server-side apply bookkeeping, often larger
    /// than the object itself on a real cluster) and kubectl's last-applied annotation. Safe to drop because nothing
    /// writes a cached object back whole: updates are merge patches of the fields they change, and an update without
    /// managedFields keeps the stored ones.
    /// </summary>
    public static T StripBookkeeping<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata is { } meta)
        {
            meta.ManagedFields = null;
            meta.Annotations?.Remove(LastAppliedAnnotation);
        }
        return obj;
    }

    /// <summary>
    /// <see cref="StripBookkeeping{T}"/>, then one shared instance of the metadata strings that repeat from object to
    /// object: namespace, kind, label keys and values, annotation keys, finalizers. Annotation values are left alone:
    /// they are mostly unique (tokens, UIDs, ranges), so pooling them would only fill the pool.
    /// </summary>
    public static T Compact<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        StripBookkeeping(obj);
        var pool = StringPool.Shared;
        obj.ApiVersion = pool.Share(obj.ApiVersion);
        obj.Kind = pool.Share(obj.Kind);
        if (obj.Metadata is not { } meta) return obj;
        meta.NamespaceProperty = pool.Share(meta.NamespaceProperty);
        if (meta.Labels is { } labels) meta.Labels = Shared(labels, shareValues: true);
        if (meta.Annotations is { } annotations) meta.Annotations = Shared(annotations, shareValues: false);
        if (meta.Finalizers is { } finalizers)
            for (var i = 0; i < finalizers.Count; i++) finalizers[i] = pool.Share(finalizers[i])!;
        return obj;
    }

    /// <summary><see cref="Compact{T}"/> plus the references a service account lists, which repeat their kind and namespace.</summary>
    public static V1ServiceAccount CompactServiceAccount(V1ServiceAccount account)
    {
        Compact(account);
        var pool = StringPool.Shared;
        foreach (var reference in account.Secrets ?? [])
        {
            reference.Kind = pool.Share(reference.Kind);
            reference.ApiVersion = pool.Share(reference.ApiVersion);
            reference.NamespaceProperty = pool.Share(reference.NamespaceProperty);
        }
        return account;
    }

    /// <summary><see cref="Compact{T}"/> plus the Secret's type and data keys.</summary>
    public static V1Secret CompactSecret(V1Secret secret)
    {
        Compact(secret);
        var pool = StringPool.Shared;
        secret.Type = pool.Share(secret.Type);
        if (secret.Data is { } data)
            secret.Data = data.ToDictionary(kv => pool.Share(kv.Key)!, kv => kv.Value, StringComparer.Ordinal);
        return secret;
    }

    /// <summary>A copy with shared keys (and values), sized to its content.</summary>
    private static Dictionary<string, string> Shared(IDictionary<string, string> map, bool shareValues)
    {
        var pool = StringPool.Shared;
        var copy = new Dictionary<string, string>(map.Count, StringComparer.Ordinal);
        foreach (var (key, value) in map) copy[pool.Share(key)!] = shareValues ? pool.Share(value)! : value;
        return copy;
    }
}
