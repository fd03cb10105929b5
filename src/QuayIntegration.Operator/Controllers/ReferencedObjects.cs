using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Watches, by name, the objects the QuayIntegrations point at: their token Secrets and CA bundle ConfigMaps. The
/// Secrets informer sees only the operator's own labelled Secrets, so without this a rotated token would wait for the
/// next recheck; with it, a change reaches the integration within the watch's latency. One single-object informer per
/// reference (a field selector on the name, in its namespace), stopped when no QuayIntegration names it any more.
/// The first read of a reference after it is tracked, and any read before its informer has synced, answer "unknown"
/// and the caller reads the API instead. The first read always goes to the API because the informer starts in the
/// same pass: whether it had synced by then is a race, and the operator's calls (which its least-privilege RBAC is
/// checked against) must not depend on one.
/// </summary>
public sealed class ReferencedObjects(KubeApi api, ILoggerFactory loggers) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Namespace, string Name), Watched<V1Secret>> _secrets = [];
    private readonly Dictionary<(string Namespace, string Name), Watched<V1ConfigMap>> _configMaps = [];

    /// <summary>Raised (on an informer's loop) when a watched object is created, changed or deleted.</summary>
    public Signal Changed { get; } = new("token Secret or CA ConfigMap changed");

    /// <summary>Watches exactly these objects from now on.</summary>
    public void Track(IEnumerable<(string Namespace, string Name)> secrets, IEnumerable<(string Namespace, string Name)> configMaps)
    {
        lock (_gate)
        {
            Replace(_secrets, secrets.ToHashSet(), ResourceType.Secrets);
            Replace(_configMaps, configMaps.ToHashSet(), ResourceType.ConfigMaps);
        }
    }

    /// <summary>(true, the Secret or null when absent) once watched and synced; (false, null) when the API must be asked.</summary>
    public (bool Known, V1Secret? Value) Secret(string ns, string name) => Lookup(_secrets, ns, name);

    public (bool Known, V1ConfigMap? Value) ConfigMap(string ns, string name) => Lookup(_configMaps, ns, name);

    private (bool, T?) Lookup<T>(Dictionary<(string, string), Watched<T>> watched, string ns, string name) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_gate)
        {
            if (!watched.TryGetValue((ns, name), out var w)) return (false, null);
            if (!w.ReadBefore)
            {
                w.ReadBefore = true;
                return (false, null);
            }
            return w.Informer.HasSynced ? (true, w.Informer.Get(ns, name)) : (false, null);
        }
    }

    private void Replace<T>(Dictionary<(string Namespace, string Name), Watched<T>> current, HashSet<(string Namespace, string Name)> wanted, ResourceType type)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        foreach (var stale in current.Keys.Where(k => !wanted.Contains(k)).ToList())
        {
            current[stale].Dispose();
            current.Remove(stale);
        }
        foreach (var reference in wanted.Where(w => !current.ContainsKey(w)))
        {
            var informer = new Informer<T>(api, new InformerSpec(type, FieldSelector: "metadata.name=" + reference.Name, Namespace: reference.Namespace),
                TimeSpan.Zero, loggers.CreateLogger($"Informer.Referenced.{type.Plural}"));
            informer.AddHandler(new Notify<T>(Changed.Raise));
            current[reference] = new Watched<T>(reference, informer);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var w in _secrets.Values) w.Dispose();
            foreach (var w in _configMaps.Values) w.Dispose();
            _secrets.Clear();
            _configMaps.Clear();
        }
    }

    private sealed class Watched<T> : IDisposable where T : class, IKubernetesObject<V1ObjectMeta>
    {
        private readonly CancellationTokenSource _stop = new();

        public Watched((string Namespace, string Name) reference, Informer<T> informer)
        {
            Reference = reference;
            Informer = informer;
            _ = Task.Run(() => informer.RunAsync(_stop.Token));
        }

        public (string Namespace, string Name) Reference { get; }
        public Informer<T> Informer { get; }
        /// <summary>Whether a caller has asked for the object since it was tracked (under the owner's gate).</summary>
        public bool ReadBefore { get; set; }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }

    private sealed class Notify<T>(Action changed) : IInformerHandler<T>
    {
        public void OnAdd(T obj) => changed();
        public void OnUpdate(T oldObj, T newObj) => changed();
        public void OnDelete(T obj) => changed();
    }
}
