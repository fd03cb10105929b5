namespace QuayIntegration.Runtime;

/// <summary>
/// A keyed work queue with client-go semantics:
/// <list type="bullet">
/// <item>a key waiting in the queue is stored once (adding it again is a no-op);</item>
/// <item>a key is handed to at most one worker at a time; re-added while being processed, it is queued again when
/// that worker calls <see cref="Done"/>, so the latest state is always seen after the current reconcile;</item>
/// <item><see cref="AddRateLimited"/> delays by the rate limiter (per-key exponential backoff, overall bucket),
/// <see cref="Forget"/> resets the backoff, <see cref="AddAfter"/> delays explicitly; a key waits for the earliest
/// time asked for only, so repeated "look again later" requests never pile up, and all waiting keys share one timer
/// (a heap ordered by due time, as client-go's delaying queue), not one timer and task per key;</item>
/// <item><see cref="ShutDown"/> wakes every waiting worker, which then gets no more keys.</item>
/// </list>
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable where TKey : notnull
{
    private readonly Queue<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = new();
    private readonly HashSet<TKey> _processing = new();
    // Due times are monotonic timestamps (TimeProvider.GetTimestamp), like the timer that fires them: a step of the wall
    // clock (NTP, a VM restored) must neither postpone every scheduled retry nor release them all at once.
    private readonly Dictionary<TKey, long> _waiting = new();
    /// <summary>Due times; an entry superseded by an earlier one for the same key is skipped when it comes up.</summary>
    private readonly PriorityQueue<TKey, long> _due = new();
    private ITimer? _timer;
    private long _timerDue = long.MaxValue;
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly IRetryRateLimiter<TKey> _limiter;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly IWorkQueueMetrics _metrics;
    /// <summary>When each queued key was first added (for the queue duration), and when each key being processed was handed out.</summary>
    private readonly Dictionary<TKey, long> _addedAt = new();
    private readonly Dictionary<TKey, long> _startedAt = new();

    public WorkQueue(IRetryRateLimiter<TKey> limiter, TimeProvider? time = null, IWorkQueueMetrics? metrics = null)
    {
        _limiter = limiter;
        _time = time ?? TimeProvider.System;
        _metrics = metrics ?? IWorkQueueMetrics.None;
    }

    public int Count
    {
        get { lock (_gate) return _queue.Count; }
    }

    public void Add(TKey key)
    {
        bool queued;
        int depth;
        lock (_gate)
        {
            queued = EnqueueLocked(key);
            depth = _queue.Count;
        }
        if (!queued) return;
        _available.Release();
        _metrics.Depth(depth);
    }

    /// <summary>The queueing rules of <see cref="Add"/>; called under the lock. Returns whether a worker must be woken.</summary>
    private bool EnqueueLocked(TKey key)
    {
        if (_shutdown.IsCancellationRequested || !_dirty.Add(key)) return false;
        _metrics.Added();
        _addedAt[key] = _time.GetTimestamp();
        if (_processing.Contains(key)) return false; // Done() queues it again
        _queue.Enqueue(key);
        return true;
    }

    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (_shutdown.IsCancellationRequested) return;
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        var due = _time.GetTimestamp() + (long)Math.Min(delay.TotalSeconds * _time.TimestampFrequency, long.MaxValue / 2);
        lock (_gate)
        {
            if (_waiting.TryGetValue(key, out var pending) && pending <= due) return; // an earlier time already covers it
            _waiting[key] = due;
            _due.Enqueue(key, due);
            if (due < _timerDue) ArmTimer(due);
        }
    }

    /// <summary>Keys scheduled by <see cref="AddAfter"/> and not due yet (client-go's delaying queue keeps the same set).</summary>
    public int WaitingCount
    {
        get { lock (_gate) return _waiting.Count; }
    }

    /// <summary>Sets the one timer to the earliest due time; called under the lock.</summary>
    private void ArmTimer(long due)
    {
        if (_shutdown.IsCancellationRequested) return;
        _timerDue = due;
        var now = _time.GetTimestamp();
        var delay = due <= now ? TimeSpan.Zero : _time.GetElapsedTime(now, due);
        if (_timer is null) _timer = _time.CreateTimer(_ => AddDueKeys(), null, delay, Timeout.InfiniteTimeSpan);
        else _timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Queues every key whose time has come, in order of due time, under the same lock that re-arms the timer: a
    /// later firing can then never queue its keys ahead of this one's.
    /// </summary>
    private void AddDueKeys()
    {
        var woken = 0;
        int depth;
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested) return;
            var now = _time.GetTimestamp();
            _timerDue = long.MaxValue;
            while (_due.TryPeek(out var key, out var due) && due <= now)
            {
                _due.Dequeue();
                if (!_waiting.TryGetValue(key, out var current) || current != due) continue; // superseded by an earlier time
                _waiting.Remove(key);
                if (EnqueueLocked(key)) woken++;
            }
            if (_due.TryPeek(out _, out var next)) ArmTimer(next);
            depth = _queue.Count;
        }
        if (woken == 0) return;
        _available.Release(woken);
        _metrics.Depth(depth);
    }

    /// <summary>Re-adds the key after its backoff; each call without <see cref="Forget"/> doubles the delay.</summary>
    public void AddRateLimited(TKey key)
    {
        _metrics.Retried();
        AddAfter(key, _limiter.When(key));
    }

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
            TimeSpan waited;
            lock (_gate)
            {
                if (!_queue.TryDequeue(out key!)) continue;
                _dirty.Remove(key);
                _processing.Add(key);
                depth = _queue.Count;
                var now = _time.GetTimestamp();
                waited = _addedAt.Remove(key, out var added) ? _time.GetElapsedTime(added, now) : TimeSpan.Zero;
                _startedAt[key] = now;
            }
            _metrics.Depth(depth);
            _metrics.Waited(waited);
            return (true, key);
        }
    }

    /// <summary>Marks the key processed; if it was added meanwhile, it goes back in the queue.</summary>
    public void Done(TKey key)
    {
        var requeue = false;
        int depth;
        TimeSpan worked;
        lock (_gate)
        {
            _processing.Remove(key);
            worked = _startedAt.Remove(key, out var started) ? _time.GetElapsedTime(started) : TimeSpan.Zero;
            if (_dirty.Contains(key) && !_shutdown.IsCancellationRequested)
            {
                _queue.Enqueue(key);
                requeue = true;
            }
            depth = _queue.Count;
        }
        _metrics.Worked(worked);
        if (requeue)
        {
            _available.Release();
            _metrics.Depth(depth);
        }
    }

    public void ShutDown()
    {
        _shutdown.Cancel();
        lock (_gate) _timer?.Dispose();
    }

    public void Dispose()
    {
        ShutDown();
        _shutdown.Dispose();
        _available.Dispose();
    }
}
