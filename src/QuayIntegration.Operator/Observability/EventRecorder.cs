using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Observability;

/// <summary>
/// Writes core/v1 Events about namespaces and QuayIntegrations. Cluster-scoped objects' events go to namespace
/// <c>default</c>. The same event for the same object is written at most once per window so retries cannot flood the
/// API server; a repeat after the window adds its occurrences to the count and last timestamp of the Event written
/// before (as client-go's event correlator does), so a failure that lasts shows as one Event with a growing count, not
/// a new Event every few minutes. Best effort: a failure to record is logged, never thrown, and when the API server
/// cannot keep up with a burst, Events beyond a bounded backlog are dropped and counted (as client-go's event
/// broadcaster does).
/// </summary>
public sealed class EventRecorder(KubeApi api, TimeProvider time, IOptions<OperatorOptions> options, ILogger<EventRecorder> log) : IDisposable
{
    public const string Component = "quay-integration-operator";
    /// <summary>The API server's default --event-ttl: an Event older than this may be gone, so it is not added to.</summary>
    private static readonly TimeSpan EventTtl = TimeSpan.FromHours(1);
    private const int MaxRemembered = 10_000;
    /// <summary>Events waiting for a writer; each holds its object in memory, so the backlog is bounded.</summary>
    private const int MaxBacklog = 1_000;

    private TimeSpan Window => options.Value.EventRepeatWindow;

    /// <summary>
    /// Events are written in the background; a burst (thousands of namespaces set up at once) must not open a new
    /// API server connection per Event, so a few writers take them in turn.
    /// </summary>
    private readonly SemaphoreSlim _writers = new(4);
    private int _backlog;
    /// <summary>Each distinct Event written lately, keyed by a 64-bit hash rather than its text: the memory holds up to
    /// <see cref="MaxRemembered"/> of them, and messages are long.</summary>
    private readonly ConcurrentDictionary<ulong, Occurrences> _recent = new();

    /// <summary>One distinct Event: how often it happened, when it was last written, and the Event object written for it.</summary>
    private sealed class Occurrences(DateTimeOffset first)
    {
        public readonly Lock Gate = new();
        public DateTimeOffset First = first;
        public DateTimeOffset LastWritten = first;
        public int Count = 1;
        /// <summary>The Event object's name once created; null while its create is on its way, or when it failed.</summary>
        public string? Name;
    }

    /// <summary>
    /// Waits, up to <paramref name="bound"/>, for the Events recorded so far to be written: at a stop, what the last
    /// reconciles told (a rotation cut short, say) would otherwise go with the process.
    /// </summary>
    public async Task FlushAsync(TimeSpan bound)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref _backlog) > 0 && waited.Elapsed < bound) await Task.Delay(FlushPoll);
    }

    private static readonly TimeSpan FlushPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>Writes still in flight then fail to take a writer and are logged as not recorded, as at any shutdown.</summary>
    public void Dispose() => _writers.Dispose();

    public void Normal(IKubernetesObject<V1ObjectMeta> obj, string reason, string message) => Record(obj, "Normal", reason, message);

    public void Warning(IKubernetesObject<V1ObjectMeta> obj, string reason, string message) => Record(obj, "Warning", reason, message);

    private void Record(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message)
    {
        var now = time.GetUtcNow();
        var key = Fnv1a(obj.Metadata.Uid, type, reason, message);
        string? existing = null;
        int count;
        var fresh = new Occurrences(now);
        var seen = _recent.GetOrAdd(key, fresh);
        if (ReferenceEquals(seen, fresh))
        {
            count = 1;
            if (_recent.Count > MaxRemembered) Forget(now);
        }
        else
        {
            lock (seen.Gate)
            {
                seen.Count++;
                if (now - seen.LastWritten < Window) return; // counted; written with the next repeat after the window
                seen.LastWritten = now;
                // An Event older than the API server keeps them may be gone: a new one is started.
                if (now - seen.First >= EventTtl) (seen.First, seen.Count, seen.Name) = (now, 1, null);
                (existing, count) = (seen.Name, seen.Count);
            }
        }
        if (Interlocked.Increment(ref _backlog) > MaxBacklog)
        {
            Interlocked.Decrement(ref _backlog);
            OperatorMetrics.EventsDropped.Inc();
            log.EventDropped(reason, obj.Kind, obj.Metadata.Name);
            return;
        }
        _ = WriteAsync(obj, type, reason, message, now, seen, existing, count);
    }

    /// <summary>
    /// Drops what no repeat can be added to any more; if a burst (thousands of namespaces set up at once) keeps the
    /// memory full of recent keys, drops it all, so that this scan runs once per burst instead of on every further
    /// Event. Forgetting only means an identical Event may be written anew instead of counted.
    /// </summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var stale in _recent.Where(kv => now - kv.Value.First > EventTtl).Select(kv => kv.Key).ToList())
            _recent.TryRemove(stale, out _);
        if (_recent.Count > MaxRemembered / 2) _recent.Clear();
    }

    private async Task WriteAsync(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message, DateTimeOffset now,
        Occurrences seen, string? existing, int count)
    {
        var ns = EventNamespace(obj);
        try
        {
            await _writers.WaitAsync();
            try
            {
                if (existing is not null && await AddToAsync(ns, existing, count, now)) return;
                var created = await api.CreateAsync(ResourceType.Events.CollectionPath(ns), NewEvent(obj, type, reason, message, now), CancellationToken.None);
                lock (seen.Gate)
                {
                    // The Event written now holds one occurrence; those counted meanwhile go to it with the next repeat.
                    if (existing is not null) (seen.First, seen.Count) = (now, Math.Max(1, seen.Count - count + 1));
                    seen.Name = created.Metadata?.Name;
                }
            }
            finally
            {
                _writers.Release();
            }
        }
        catch (Exception e)
        {
            log.EventNotRecorded(reason, obj.Kind, obj.Metadata.Name, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _backlog);
        }
    }

    /// <summary>Adds the occurrences to the Event written before (its count and last timestamp); false when it is gone.</summary>
    private async Task<bool> AddToAsync(string ns, string name, int count, DateTimeOffset now)
    {
        var patch = new JsonObject { ["count"] = count, ["lastTimestamp"] = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ") };
        try
        {
            await api.PatchAsync<Corev1Event>(ResourceType.Events.ObjectPath(ns, name), new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), CancellationToken.None);
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound || e.Status == System.Net.HttpStatusCode.Forbidden)
        {
            // Expired (the API server's event TTL) or deleted, or a role from before Events were patched: a new Event
            // is written, as before aggregation.
            return false;
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
