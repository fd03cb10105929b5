using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Watches, by name, the two objects the QuayIntegration points at: the token Secret and the CA bundle ConfigMap. The
/// Secrets informer sees only the operator's own labelled Secrets, so without this a rotated token would wait for the
/// next recheck; with it, a change reaches the integration within the watch's latency. One single-object informer per
/// reference (a field selector on the name, in its namespace), replaced when the QuayIntegration names another object.
/// Until an informer has synced its object, <see cref="Secret"/> and <see cref="ConfigMap"/> answer "unknown" and the
/// caller reads the API instead.
/// </summary>
public sealed class ReferencedObjects(KubeApi api, ILoggerFactory loggers) : IDisposable
{
    private readonly Lock _gate = new();
    private Watched<V1Secret>? _secret;
    private Watched<V1ConfigMap>? _configMap;

    /// <summary>Raised (on an informer's loop) when a watched object is created, changed or deleted.</summary>
    public Signal Changed { get; } = new("token Secret or CA ConfigMap changed");

    /// <summary>Watches exactly these objects from now on (null: nothing of that kind).</summary>
    public void Track((string Namespace, string Name)? secret, (string Namespace, string Name)? configMap)
    {
        lock (_gate)
        {
            _secret = Replace(_secret, secret, ResourceType.Secrets);
            _configMap = Replace(_configMap, configMap, ResourceType.ConfigMaps);
        }
    }

    /// <summary>(true, the Secret or null when absent) once watched and synced; (false, null) when the API must be asked.</summary>
    public (bool Known, V1Secret? Value) Secret(string ns, string name) => Lookup(_secret, ns, name);

    public (bool Known, V1ConfigMap? Value) ConfigMap(string ns, string name) => Lookup(_configMap, ns, name);

    private static (bool, T?) Lookup<T>(Watched<T>? watched, string ns, string name) where T : class, IKubernetesObject<V1ObjectMeta> =>
        watched is not null && watched.Reference == (ns, name) && watched.Informer.HasSynced ? (true, watched.Informer.Get(ns, name)) : (false, null);

    private Watched<T>? Replace<T>(Watched<T>? current, (string Namespace, string Name)? wanted, ResourceType type)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (current?.Reference == wanted) return current;
        current?.Dispose();
        if (wanted is not { } reference) return null;
        var informer = new Informer<T>(api, new InformerSpec(type, FieldSelector: "metadata.name=" + reference.Name, Namespace: reference.Namespace),
            TimeSpan.Zero, loggers.CreateLogger($"Informer.Referenced.{type.Plural}"));
        informer.AddHandler(new Notify<T>(Changed.Raise));
        return new Watched<T>(reference, informer);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _secret?.Dispose();
            _configMap?.Dispose();
            _secret = null;
            _configMap = null;
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
