using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime;

/// <summary>Filters informer events before they become work (kept apart from reconcile logic).</summary>
public interface IEventPredicate<in T>
{
    bool Create(T obj);
    bool Update(T oldObj, T newObj);
    bool Delete(T obj);
}

public static class EventPredicates
{
    public static IEventPredicate<T> Any<T>() => new Lambda<T>(_ => true, (_, _) => true, _ => true);

    /// <summary>
    /// Updates only when the spec (generation), labels, annotations, finalizers or deletion changed, plus resyncs
    /// (same resourceVersion): status-only writes, including our own, never trigger work.
    /// </summary>
    public static IEventPredicate<T> GenerationOrMetadataChanged<T>() where T : IKubernetesObject<V1ObjectMeta> =>
        new Lambda<T>(_ => true, (o, n) =>
            o.Metadata.ResourceVersion == n.Metadata.ResourceVersion
            || o.Metadata.Generation != n.Metadata.Generation
            || o.Metadata.DeletionTimestamp != n.Metadata.DeletionTimestamp
            || !SameSet(o.Metadata.Finalizers, n.Metadata.Finalizers)
            || !SameMap(o.Metadata.Labels, n.Metadata.Labels)
            || !SameMap(o.Metadata.Annotations, n.Metadata.Annotations), _ => true);

    public static IEventPredicate<T> Create<T>(Func<T, bool> create, Func<T, T, bool> update, Func<T, bool> delete) =>
        new Lambda<T>(create, update, delete);

    internal static bool SameSet(IEnumerable<string>? a, IEnumerable<string>? b) =>
        new HashSet<string>(a ?? []).SetEquals(b ?? []);

    internal static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        a ??= new Dictionary<string, string>();
        b ??= new Dictionary<string, string>();
        return a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    private sealed class Lambda<T>(Func<T, bool> create, Func<T, T, bool> update, Func<T, bool> delete) : IEventPredicate<T>
    {
        public bool Create(T obj) => create(obj);
        public bool Update(T oldObj, T newObj) => update(oldObj, newObj);
        public bool Delete(T obj) => delete(obj);
    }
}
