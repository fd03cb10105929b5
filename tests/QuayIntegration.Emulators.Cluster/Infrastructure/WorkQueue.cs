using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Emulators.Cluster.Infrastructure;

/// <summary>What a reconcile asks of the queue afterwards: nothing, or another pass after a delay.</summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => new(null);
    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

/// <summary>
/// A keyed work queue with client-go's guarantees, which controllers rely on: a key queued several times is processed
/// once, a key is never processed by two workers at once, and a key queued while it is being processed is processed
/// again afterwards (so no change is lost between a read and the end of a reconcile). Failures are retried with backoff.
/// </summary>
public sealed class WorkQueue<TKey> where TKey : notnull
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly Channel<TKey> _ready = Channel.CreateUnbounded<TKey>();
    private readonly object _gate = new();
    private readonly HashSet<TKey> _queued = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly HashSet<TKey> _dirtyWhileProcessing = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly string _name;
    private readonly ILogger _logger;

    public WorkQueue(string name, ILogger logger)
    {
        _name = name;
        _logger = logger;
    }

    public void Enqueue(TKey key)
    {
        lock (_gate)
        {
            if (_processing.Contains(key))
            {
                _dirtyWhileProcessing.Add(key);
                return;
            }
            if (!_queued.Add(key))
            {
                return;
            }
        }
        _ready.Writer.TryWrite(key);
    }

    public void EnqueueAfter(TKey key, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            Enqueue(key);
            return;
        }
        _ = Task.Delay(delay, cancellationToken).ContinueWith(
            _ => Enqueue(key), cancellationToken, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>Runs <paramref name="workers"/> loops that feed keys to <paramref name="reconcile"/> until cancelled.</summary>
    public Task RunAsync(Func<TKey, CancellationToken, Task<ReconcileResult>> reconcile, int workers, CancellationToken cancellationToken)
    {
        var loops = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkerLoopAsync(reconcile, cancellationToken), cancellationToken));
        return Task.WhenAll(loops);
    }

    private async Task WorkerLoopAsync(Func<TKey, CancellationToken, Task<ReconcileResult>> reconcile, CancellationToken cancellationToken)
    {
        try
        {
            while (await _ready.Reader.WaitToReadAsync(cancellationToken))
            {
                if (!_ready.Reader.TryRead(out var key))
                {
                    continue;
                }
                lock (_gate)
                {
                    _queued.Remove(key);
                    _processing.Add(key);
                }
                await ProcessAsync(key, reconcile, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProcessAsync(TKey key, Func<TKey, CancellationToken, Task<ReconcileResult>> reconcile, CancellationToken cancellationToken)
    {
        TimeSpan? requeueAfter;
        try
        {
            var result = await reconcile(key, cancellationToken);
            requeueAfter = result.RequeueAfter;
            lock (_gate)
            {
                _failures.Remove(key);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception)
        {
            int failures;
            lock (_gate)
            {
                failures = _failures[key] = _failures.GetValueOrDefault(key) + 1;
            }
            requeueAfter = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, FirstRetryDelay.Ticks << Math.Min(failures - 1, 10)));
            _logger.LogWarning(exception, "{Queue}: reconciling {Key} failed (attempt {Attempt}); retrying in {Delay}", _name, key, failures, requeueAfter);
        }
        finally
        {
            bool again;
            lock (_gate)
            {
                _processing.Remove(key);
                again = _dirtyWhileProcessing.Remove(key);
            }
            if (again)
            {
                Enqueue(key);
            }
        }
        if (requeueAfter is { } delay)
        {
            EnqueueAfter(key, delay, cancellationToken);
        }
    }
}
