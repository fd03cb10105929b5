namespace QuayIntegration.Operator.Runtime;

/// <summary>
/// A keyed work queue with client-go semantics:
/// <list type="bullet">
/// <item>a key waiting in the queue is stored once (adding it again is a no-op);</item>
/// <item>a key is handed to at most one worker at a time; re-added while being processed, it is queued again when
/// that worker calls <see cref="Done"/>, so the latest state is always seen after the current reconcile;</item>
/// <item><see cref="AddRateLimited"/> delays by the rate limiter (per-key exponential backoff, overall bucket),
/// <see cref="Forget"/> resets the backoff, <see cref="AddAfter"/> delays explicitly; a key waits on at most one timer,
/// the earliest asked for, so repeated "look again later" requests never pile up;</item>
/// <item><see cref="ShutDown"/> wakes every waiting worker, which then gets no more keys.</item>
/// </list>
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable where TKey : notnull
{
    private readonly Queue<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = new();
    private readonly HashSet<TKey> _processing = new();
    private readonly Dictionary<TKey, DateTimeOffset> _waiting = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly IRetryRateLimiter<TKey> _limiter;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Action<int>? _depthChanged;

    public WorkQueue(IRetryRateLimiter<TKey> limiter, TimeProvider? time = null, Action<int>? depthChanged = null)
    {
        _limiter = limiter;
        _time = time ?? TimeProvider.System;
        _depthChanged = depthChanged;
    }

    public bool IsShuttingDown => _shutdown.IsCancellationRequested;

    public int Count
    {
        get { lock (_gate) return _queue.Count; }
    }

    public void Add(TKey key)
    {
        int depth;
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested || !_dirty.Add(key)) return;
            if (_processing.Contains(key)) return; // Done() queues it again
            _queue.Enqueue(key);
            depth = _queue.Count;
        }
        _available.Release();
        _depthChanged?.Invoke(depth);
    }

    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (_shutdown.IsCancellationRequested) return;
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        var due = _time.GetUtcNow() + delay;
        lock (_gate)
        {
            if (_waiting.TryGetValue(key, out var pending) && pending <= due) return; // an earlier timer already covers it
            _waiting[key] = due;
        }
        _ = DelayThenAdd(key, delay, due);
    }

    /// <summary>Keys waiting on a timer (for tests and diagnostics).</summary>
    public int WaitingCount
    {
        get { lock (_gate) return _waiting.Count; }
    }

    private async Task DelayThenAdd(TKey key, TimeSpan delay, DateTimeOffset due)
    {
        try
        {
            await Task.Delay(delay, _time, _shutdown.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_gate)
        {
            // Superseded by an earlier timer, which already fired or will.
            if (!_waiting.TryGetValue(key, out var current) || current != due) return;
            _waiting.Remove(key);
        }
        Add(key);
    }

    /// <summary>Re-adds the key after its backoff; each call without <see cref="Forget"/> doubles the delay.</summary>
    public void AddRateLimited(TKey key) => AddAfter(key, _limiter.When(key));

    public void Forget(TKey key) => _limiter.Forget(key);

    public int NumRequeues(TKey key) => _limiter.Failures(key);

    /// <summary>Waits for the next key; returns (false, default) once the queue is shut down.</summary>
    public async Task<(bool Ok, TKey Key)> GetAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        while (true)
        {
            try
            {
                await _available.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException)
            {
                return (false, default!);
            }
            int depth;
            TKey key;
            lock (_gate)
            {
                if (!_queue.TryDequeue(out key!)) continue;
                _dirty.Remove(key);
                _processing.Add(key);
                depth = _queue.Count;
            }
            _depthChanged?.Invoke(depth);
            return (true, key);
        }
    }

    /// <summary>Marks the key processed; if it was added meanwhile, it goes back in the queue.</summary>
    public void Done(TKey key)
    {
        var requeue = false;
        int depth;
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shutdown.IsCancellationRequested)
            {
                _queue.Enqueue(key);
                requeue = true;
            }
            depth = _queue.Count;
        }
        if (requeue)
        {
            _available.Release();
            _depthChanged?.Invoke(depth);
        }
    }

    public void ShutDown() => _shutdown.Cancel();

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
        _available.Dispose();
    }
}
