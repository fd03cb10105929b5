using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime;

/// <summary>
/// What an informer drops from an object before caching it, like controller-runtime's cache transforms: the cache
/// holds every object of a kind for the life of the process, so fields nobody reads are memory spent N times over.
/// A transform may change the object it is given (it was just deserialized and is not shared yet) and returns it.
/// Lists it keeps become arrays sized to their content (a List carries its own object and spare capacity); a cached
/// object is never changed in place, so nothing adds to them.
/// </summary>
public static class CacheTransforms
{
    /// <summary>kubectl's copy of the whole applied object; large, and read by nothing but kubectl.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>
    /// What no consumer of any cache reads: <c>metadata.managedFields</c> (server-side apply bookkeeping, often larger
    /// than the object itself on a real cluster) and kubectl's last-applied annotation. Safe to drop because an update
    /// without managedFields keeps the stored ones, and the caches that drop the annotation are only ever written to by
    /// merge patches of the fields they change (a cache whose objects are written back whole keeps it).
    /// </summary>
    public static T StripBookkeeping<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        DropManagedFields(obj).Metadata?.Annotations?.Remove(LastAppliedAnnotation);
        return obj;
    }

    /// <summary>
    /// Only the managedFields part of <see cref="StripBookkeeping{T}"/>, for a cache whose objects are written back whole
    /// and so must keep kubectl's last-applied annotation.
    /// </summary>
    public static T DropManagedFields<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata is { } meta) meta.ManagedFields = null;
        return obj;
    }

    /// <summary><see cref="StripBookkeeping{T}"/>, then <see cref="ShareMetadata{T}"/>.</summary>
    public static T Compact<T>(T obj) where T : IKubernetesObject<V1ObjectMeta> => ShareMetadata(StripBookkeeping(obj));

    /// <summary>
    /// One shared instance of the metadata strings that repeat from object to object: namespace, kind, label keys and
    /// values, annotation keys, finalizers. Annotation values are left alone:
    /// they are mostly unique (tokens, UIDs, ranges), so pooling them would only fill the pool. A label value that
    /// repeats the object's own name (<c>kubernetes.io/metadata.name</c> on every namespace) takes the name's instance
    /// instead of a place in the pool. Labels and annotations are kept as <see cref="CompactDictionary{TValue}"/>s, a
    /// fraction of a dictionary's size for a handful of entries.
    /// </summary>
    public static T ShareMetadata<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        var pool = StringPool.Shared;
        obj.ApiVersion = pool.Share(obj.ApiVersion);
        obj.Kind = pool.Share(obj.Kind);
        if (obj.Metadata is not { } meta) return obj;
        meta.NamespaceProperty = pool.Share(meta.NamespaceProperty);
        if (meta.Labels is { } labels) meta.Labels = Shared(labels, shareValues: true, meta.Name);
        if (meta.Annotations is { } annotations) meta.Annotations = Shared(annotations, shareValues: false);
        if (meta.Finalizers is { } finalizers) meta.Finalizers = finalizers.Select(f => pool.Share(f)!).ToArray();
        return obj;
    }

    /// <summary>
    /// The pool's instance of the object's name, for names that repeat across objects: a service account or Secret
    /// name the same in every namespace, a namespace's name that every object in it carries as its namespace. Before
    /// <see cref="ShareMetadata{T}"/>, so that a label repeating the name takes the pooled instance too.
    /// </summary>
    public static T ShareName<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata is { } meta) meta.Name = StringPool.Shared.Share(meta.Name);
        return obj;
    }

    /// <summary>
    /// Drops <c>metadata.uid</c>, for a cache none of whose readers uses it (nor writes with it: a patch guarded by the
    /// resourceVersion needs no UID). Thirty-six characters, about 100 bytes, on every cached object.
    /// </summary>
    public static T DropUid<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata is { } meta) meta.Uid = null;
        return obj;
    }

    /// <summary>
    /// Keeps only the annotations <paramref name="read"/> says some reader of the cache looks at; none left, none kept.
    /// Safe for the same reason as <see cref="StripBookkeeping{T}"/>: a patch names the keys it sets.
    /// </summary>
    public static T KeepAnnotations<T>(T obj, Func<string, bool> read) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata?.Annotations is not { } annotations) return obj;
        foreach (var key in annotations.Keys.Where(key => !read(key)).ToList()) annotations.Remove(key);
        if (annotations.Count == 0) obj.Metadata.Annotations = null;
        return obj;
    }

    /// <summary>
    /// What a cache of service accounts keeps, shared: the account's name and namespace, and the references it lists,
    /// which repeat their kind and namespace from account to account and their names within the account (a Secret is
    /// usually listed in both <c>secrets</c> and <c>imagePullSecrets</c>, and each mention arrives as its own string).
    /// A name some cache already pooled (a Secret the operator creates under the same name in every namespace) is taken
    /// from the pool. The rest of the account is left as it came, for a cache that keeps only these.
    /// </summary>
    public static V1ServiceAccount CompactServiceAccount(V1ServiceAccount account)
    {
        var pool = StringPool.Shared;
        // The same few accounts (default, builder, deployer, pipeline) exist in every namespace.
        if (ShareName(account).Metadata is { } meta) meta.NamespaceProperty = pool.Share(meta.NamespaceProperty);
        var names = new List<string>();
        foreach (var reference in account.Secrets ?? [])
        {
            reference.Kind = pool.Share(reference.Kind);
            reference.ApiVersion = pool.Share(reference.ApiVersion);
            reference.NamespaceProperty = pool.Share(reference.NamespaceProperty);
            reference.Name = Once(names, pool.ShareIfPooled(reference.Name));
        }
        foreach (var reference in account.ImagePullSecrets ?? []) reference.Name = Once(names, pool.ShareIfPooled(reference.Name));
        if (account.Secrets is { } secrets) account.Secrets = secrets.Select(SharedIfNameOnly).ToArray();
        if (account.ImagePullSecrets is { } pullSecrets) account.ImagePullSecrets = pullSecrets.Select(SharedIfNameOnly).ToArray();
        return account;
    }

    // Label maps of identical content, one instance each, up to a bound (past it, maps are kept as they are).
    private static readonly ConcurrentDictionary<string, IDictionary<string, string>> SharedLabelMaps = new(StringComparer.Ordinal);
    private const int MaxSharedLabelMaps = 256;

    /// <summary>
    /// One shared label map for every object of the cache whose labels are the same (the operator's Secrets all carry
    /// only its managed-by label): 72 bytes per object otherwise. For a cache whose objects' labels come from a small
    /// set; after <see cref="ShareMetadata{T}"/>, whose pooled values a shared map then holds. A shared map is
    /// read-only, so nothing can change it for every object at once (<see cref="KeepUnchanged{T}"/> leaves it alone).
    /// </summary>
    public static T ShareLabels<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata is not { Labels: { Count: > 0 and <= 4 } labels } meta) return obj;
        // Label keys and values cannot hold '=' or a line break, so the signature names one content.
        var signature = string.Join('\n', labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value));
        if (SharedLabelMaps.TryGetValue(signature, out var shared)) meta.Labels = shared;
        else if (SharedLabelMaps.Count < MaxSharedLabelMaps) meta.Labels = SharedLabelMaps.GetOrAdd(signature, new ReadOnlyDictionary<string, string>(labels));
        return obj;
    }

    // One instance per pooled Secret name, for references that carry nothing but that name, up to a bound of their own
    // (the pool starts over when full, so its bound does not hold across its lives); the names worth it are the
    // operator's few Secret names, the same in every namespace.
    private static readonly ConcurrentDictionary<string, V1ObjectReference> NameOnlyReferences = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, V1LocalObjectReference> NameOnlyLocalReferences = new(StringComparer.Ordinal);
    private const int MaxNameOnlyReferences = 1024;

    /// <summary>
    /// A reference holding only the name of a Secret some cache pooled (the operator's own, as its link patch writes it,
    /// the same in every namespace) is one instance shared by every service account listing it, 72 bytes each time
    /// otherwise. Safe because a cached object is never changed: the link patches only read and serialize the lists.
    /// </summary>
    private static V1ObjectReference SharedIfNameOnly(V1ObjectReference reference) =>
        reference is { Kind: null, ApiVersion: null, NamespaceProperty: null, Uid: null, ResourceVersion: null, FieldPath: null }
            ? SharedByName(NameOnlyReferences, reference.Name, reference)
            : reference;

    private static V1LocalObjectReference SharedIfNameOnly(V1LocalObjectReference reference) => SharedByName(NameOnlyLocalReferences, reference.Name, reference);

    private static T SharedByName<T>(ConcurrentDictionary<string, T> shared, string? name, T reference)
    {
        if (name is null || !StringPool.Shared.IsPooled(name)) return reference;
        if (shared.TryGetValue(name, out var one)) return one;
        return shared.Count < MaxNameOnlyReferences ? shared.GetOrAdd(name, reference) : reference;
    }

    /// <summary>
    /// The values of the given annotations shared through the pool: for annotations an operator writes with the same
    /// few values on every object (a registry host, a service account name), unlike annotations in general.
    /// </summary>
    public static T ShareAnnotationValues<T>(T obj, IReadOnlyCollection<string> keys) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (obj.Metadata?.Annotations is not { } annotations) return obj;
        foreach (var key in keys)
            if (annotations.TryGetValue(key, out var value)) annotations[key] = StringPool.Shared.Share(value)!;
        return obj;
    }

    /// <summary>
    /// Takes from <paramref name="previous"/>, the cached version <paramref name="current"/> replaces, the instances of
    /// what did not change: the name, the UID, and the label and annotation values (the whole map when nothing in it
    /// changed). Every watch event brings its own copy of every string, while whatever took a reference from an earlier
    /// version (a work-queue key, an index, a Quay observation's namespace UID) keeps that version's copy: without this,
    /// an object updated a few times is held in as many copies of its name and UID as there are such references. A
    /// cached object is never changed in place, so sharing with the version before it is safe; <paramref name="current"/>
    /// has just been transformed and is not shared yet, so it may be changed. A transform that pools a name pools it
    /// from the first version on, so the instance kept is the pool's.
    /// </summary>
    public static void KeepUnchanged<T>(T previous, T current) where T : IKubernetesObject<V1ObjectMeta>
    {
        if (previous.Metadata is not { } before || current.Metadata is not { } meta) return;
        meta.Name = Same(before.Name, meta.Name);
        meta.Uid = Same(before.Uid, meta.Uid);
        meta.Labels = Same(before.Labels, meta.Labels);
        meta.Annotations = Same(before.Annotations, meta.Annotations);
    }

    private static string? Same(string? before, string? current) => string.Equals(before, current, StringComparison.Ordinal) ? before : current;

    private static IDictionary<string, string>? Same(IDictionary<string, string>? before, IDictionary<string, string>? current)
    {
        if (before is null || current is null) return current;
        var unchanged = before.Count == current.Count;
        foreach (var key in current.Keys.ToList())
        {
            var now = current[key];
            if (before.TryGetValue(key, out var value) && string.Equals(value, now, StringComparison.Ordinal))
            {
                // A shared map (ShareLabels) is read-only, and holds the pool's instances already.
                if (!ReferenceEquals(value, now) && !current.IsReadOnly) current[key] = value;
            }
            else unchanged = false;
        }
        return unchanged ? before : current;
    }

    /// <summary>The instance of <paramref name="value"/> already seen in this object, else <paramref name="value"/>, now seen.</summary>
    private static string Once(List<string> seen, string? value)
    {
        if (value is null) return null!;
        foreach (var s in seen)
            if (string.Equals(s, value, StringComparison.Ordinal)) return s;
        seen.Add(value);
        return value;
    }

    /// <summary>A compact copy (<see cref="CompactDictionary{TValue}"/>) with shared keys (and values, the object's
    /// <paramref name="name"/> where a value repeats it).</summary>
    private static IDictionary<string, string> Shared(IDictionary<string, string> map, bool shareValues, string? name = null)
    {
        var pool = StringPool.Shared;
        return CompactDictionary.Of(map, key => pool.Share(key)!, value => value == name ? name : shareValues ? pool.Share(value)! : value);
    }
}
