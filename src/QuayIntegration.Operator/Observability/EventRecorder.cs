using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Observability;

/// <summary>
/// Writes core/v1 Events about namespaces and QuayIntegrations. Cluster-scoped objects' events go to namespace
/// <c>default</c>. The same event for the same object is written at most once per window so retries cannot flood the
/// API server. Best effort: a failure to record is logged, never thrown, and when the API server cannot keep up
/// with a burst, Events beyond a bounded backlog are dropped and counted (as client-go's event broadcaster does).
/// </summary>
public sealed class EventRecorder(KubeApi api, TimeProvider time, ILogger<EventRecorder> log)
{
    public const string Component = "quay-integration-operator";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private const int MaxRemembered = 10_000;
    /// <summary>Events waiting for a writer; each holds its object in memory, so the backlog is bounded.</summary>
    private const int MaxBacklog = 1_000;

    /// <summary>
    /// Events are written in the background; a burst (thousands of namespaces set up at once) must not open a new
    /// API server connection per Event, so a few writers take them in turn.
    /// </summary>
    private readonly SemaphoreSlim _writers = new(4);
    private int _backlog;
    /// <summary>When each distinct Event was last written, keyed by a 64-bit hash rather than its text: the memory holds
    /// up to <see cref="MaxRemembered"/> of them, and messages are long.</summary>
    private readonly ConcurrentDictionary<ulong, DateTimeOffset> _recent = new();

    public void Normal(IKubernetesObject<V1ObjectMeta> obj, string reason, string message) => Record(obj, "Normal", reason, message);

    public void Warning(IKubernetesObject<V1ObjectMeta> obj, string reason, string message) => Record(obj, "Warning", reason, message);

    private void Record(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message)
    {
        var now = time.GetUtcNow();
        var key = Fnv1a(obj.Metadata.Uid, type, reason, message);
        if (_recent.TryGetValue(key, out var last) && now - last < Window) return;
        _recent[key] = now;
        if (_recent.Count > MaxRemembered) Forget(now);
        if (Interlocked.Increment(ref _backlog) > MaxBacklog)
        {
            Interlocked.Decrement(ref _backlog);
            OperatorMetrics.EventsDropped.Inc();
            log.LogDebug("Event backlog full; dropped {Reason} on {Kind} {Name}", reason, obj.Kind, obj.Metadata.Name);
            return;
        }
        _ = WriteAsync(obj, type, reason, message, now);
    }

    /// <summary>
    /// Drops what is outside the window; if a burst (thousands of namespaces set up at once) keeps the memory full of
    /// recent keys, drops it all, so that this scan runs once per burst instead of on every further Event. Forgetting
    /// only means an identical Event may be written twice.
    /// </summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var stale in _recent.Where(kv => now - kv.Value > Window).Select(kv => kv.Key).ToList()) _recent.TryRemove(stale, out _);
        if (_recent.Count > MaxRemembered / 2) _recent.Clear();
    }

    private async Task WriteAsync(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message, DateTimeOffset now)
    {
        try
        {
            await _writers.WaitAsync();
            try
            {
                await api.CreateAsync(ResourceType.Events.CollectionPath(EventNamespace(obj)), NewEvent(obj, type, reason, message, now), CancellationToken.None);
            }
            finally
            {
                _writers.Release();
            }
        }
        catch (Exception e)
        {
            log.LogDebug("Could not record event {Reason} on {Kind} {Name}: {Error}", reason, obj.Kind, obj.Metadata.Name, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _backlog);
        }
    }

    /// <summary>FNV-1a over the parts, separated by U+FFFF (a noncharacter): enough to tell Events apart.</summary>
    private static ulong Fnv1a(params ReadOnlySpan<string?> parts)
    {
        var hash = 14695981039346656037UL;
        foreach (var part in parts)
        {
            foreach (var c in part ?? "")
            {
                hash = (hash ^ c) * 1099511628211UL;
            }
            hash = (hash ^ 0xFFFF) * 1099511628211UL;
        }
        return hash;
    }

    private static string EventNamespace(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata.NamespaceProperty is { Length: > 0 } n ? n : "default";

    private static Corev1Event NewEvent(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message, DateTimeOffset now) =>
        new()
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { GenerateName = $"{obj.Metadata.Name}.", NamespaceProperty = EventNamespace(obj) },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = obj.ApiVersion, Kind = obj.Kind, Name = obj.Metadata.Name,
                NamespaceProperty = obj.Metadata.NamespaceProperty, Uid = obj.Metadata.Uid,
                ResourceVersion = obj.Metadata.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message.Length > 1000 ? message[..1000] : message,
            Source = new V1EventSource { Component = Component },
            ReportingComponent = Component,
            ReportingInstance = Environment.MachineName,
            FirstTimestamp = now.UtcDateTime,
            LastTimestamp = now.UtcDateTime,
            Count = 1,
        };
}
