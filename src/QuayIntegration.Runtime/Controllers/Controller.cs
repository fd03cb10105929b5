using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Runtime;

public sealed class ControllerOptions
{
    public int Workers { get; set; } = 2;
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Overall retry rate across all keys (client-go's bucket limiter).</summary>
    public double RetryQps { get; set; } = 10;
    public int RetryBurst { get; set; } = 100;
}

/// <summary>
/// Connects informers to a reconciler: events pass predicates, are mapped to keys, and go through a
/// <see cref="WorkQueue{TKey}"/> to N workers. Errors are retried with per-key backoff; success forgets the backoff.
/// </summary>
public sealed class Controller
{
    private readonly IReconciler _reconciler;
    private readonly ControllerOptions _options;
    private readonly ILogger _log;

    public Controller(IReconciler reconciler, ControllerOptions options, ILogger log, TimeProvider? time = null)
    {
        _reconciler = reconciler;
        _options = options;
        _log = log;
        var limiter = new MaxOfLimiter<ObjectKey>(
            new ExponentialBackoffLimiter<ObjectKey>(options.BackoffBase, options.BackoffMax),
            new TokenBucketLimiter<ObjectKey>(options.RetryQps, options.RetryBurst, time ?? TimeProvider.System));
        Queue = new WorkQueue<ObjectKey>(limiter, time, ControllerMetrics.ForQueue(reconciler.Name));
    }

    public string Name => _reconciler.Name;
    public WorkQueue<ObjectKey> Queue { get; }

    /// <summary>Feeds events of <paramref name="informer"/> through <paramref name="predicate"/> and <paramref name="map"/> into the queue.</summary>
    public Controller Watches<TWire, T>(Informer<TWire, T> informer, Func<T, IEnumerable<ObjectKey>> map, IEventPredicate<T>? predicate = null)
        where TWire : class, IKubernetesObject<V1ObjectMeta> where T : class
    {
        informer.AddHandler(new EnqueueHandler<T>(this, map, predicate ?? EventPredicates.Any<T>()));
        return this;
    }

    /// <summary>Enqueues the keys <paramref name="keys"/> names whenever <paramref name="signal"/> is raised.</summary>
    public Controller Watches(Signal signal, Func<IEnumerable<ObjectKey>> keys)
    {
        signal.Subscribe(() =>
        {
            foreach (var key in keys()) Enqueue(key);
        });
        return this;
    }

    /// <summary>
    /// For a signal raised in bursts whose consequence can wait a moment (a status that sums up many objects): the
    /// keys are looked at <paramref name="window"/> after the first raise, once for all the raises until then (the
    /// queue keeps the earliest time of a key already waiting), so a burst costs one reconcile per window instead of
    /// one per raise.
    /// </summary>
    public Controller Watches(Signal signal, Func<IEnumerable<ObjectKey>> keys, TimeSpan window)
    {
        signal.Subscribe(() =>
        {
            foreach (var key in keys()) Queue.AddAfter(key, window);
        });
        return this;
    }

    public void Enqueue(ObjectKey key) => Queue.Add(key);

    public async Task RunAsync(CancellationToken ct)
    {
        _log.ControllerStarting(Name, _options.Workers);
        var workers = Enumerable.Range(0, Math.Max(1, _options.Workers)).Select(_ => Task.Run(() => WorkerAsync(ct), CancellationToken.None)).ToList();
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
        }
        Queue.ShutDown();
        await Task.WhenAll(workers);
        _log.ControllerStopped(Name);
    }

    private async Task WorkerAsync(CancellationToken ct)
    {
        while (true)
        {
            var (ok, key) = await Queue.GetAsync(ct);
            if (!ok) return;
            try
            {
                await ProcessAsync(key, ct);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }

    private async Task ProcessAsync(ObjectKey key, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        string outcome;
        try
        {
            var result = await _reconciler.ReconcileAsync(key, ct);
            Queue.Forget(key);
            if (result.RequeueAfter is { } after)
            {
                Queue.AddAfter(key, after);
                outcome = "requeue_after";
            }
            else
            {
                outcome = "success";
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            outcome = "cancelled";
        }
        catch (Exception e)
        {
            outcome = "error";
            var retries = Queue.NumRequeues(key);
            // Expected failures (Quay down, bad token) are reported once by the reconciler itself (status, Event, log line);
            // keep the stack for the rest.
            if (e is ReconcileException || ct.IsCancellationRequested)
                _log.ReconcileRetried(Name, key, e.Message, retries + 1); // shutting down: calls cut short
            else _log.ReconcileFailed(e, Name, key, retries + 1);
            Queue.AddRateLimited(key);
        }
        ControllerMetrics.Reconciles.WithLabels(Name, outcome).Inc();
        ControllerMetrics.ReconcileDuration.WithLabels(Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private sealed class EnqueueHandler<T>(Controller controller, Func<T, IEnumerable<ObjectKey>> map, IEventPredicate<T> predicate)
        : IInformerHandler<T>
    {
        public void OnAdd(T obj)
        {
            if (predicate.Create(obj)) Enqueue(obj);
        }

        public void OnUpdate(T oldObj, T newObj)
        {
            if (predicate.Update(oldObj, newObj)) Enqueue(newObj);
        }

        public void OnDelete(T obj)
        {
            if (predicate.Delete(obj)) Enqueue(obj);
        }

        private void Enqueue(T obj)
        {
            foreach (var key in map(obj)) controller.Enqueue(key);
        }
    }
}

/// <summary>An expected, already-explained reconcile failure: retried with backoff, logged without a stack trace.</summary>
public sealed class ReconcileException(string message, Exception? inner = null) : Exception(message, inner);
