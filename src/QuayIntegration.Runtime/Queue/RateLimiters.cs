namespace QuayIntegration.Runtime;

/// <summary>Decides how long a key waits before its next retry.</summary>
public interface IRetryRateLimiter<in TKey>
{
    TimeSpan When(TKey key);
    void Forget(TKey key);
    int Failures(TKey key);
}

/// <summary>Exponential backoff: base·2^(failures), capped.</summary>
public static class Backoff
{
    /// <summary>The delay after <paramref name="previousFailures"/> earlier failures; overflow-safe.</summary>
    public static TimeSpan Delay(TimeSpan baseDelay, TimeSpan maxDelay, int previousFailures)
    {
        if (previousFailures >= 62) return maxDelay;
        var ticks = baseDelay.Ticks * Math.Pow(2, previousFailures);
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>Per-key exponential backoff: base·2^(failures-1), capped. Forget resets the key.</summary>
public sealed class ExponentialBackoffLimiter<TKey>(TimeSpan baseDelay, TimeSpan maxDelay) : IRetryRateLimiter<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, int> _failures = new();
    private readonly Lock _gate = new();

    public TimeSpan When(TKey key)
    {
        lock (_gate)
        {
            var n = _failures.TryGetValue(key, out var f) ? f : 0;
            _failures[key] = n + 1;
            return Backoff.Delay(baseDelay, maxDelay, n);
        }
    }

    public void Forget(TKey key)
    {
        lock (_gate) _failures.Remove(key);
    }

    public int Failures(TKey key)
    {
        lock (_gate) return _failures.TryGetValue(key, out var f) ? f : 0;
    }
}

/// <summary>An overall token bucket (qps, burst) so that many failing keys together cannot flood Quay or the API server.</summary>
public sealed class TokenBucketLimiter<TKey>(double qps, int burst, TimeProvider time) : IRetryRateLimiter<TKey>
{
    private readonly Lock _gate = new();
    private double _tokens = burst;
    private long _last = time.GetTimestamp(); // monotonic: a step of the wall clock must not drain or fill the bucket

    public TimeSpan When(TKey key)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * qps);
            _last = now;
            _tokens -= 1; // reserve a token, possibly going into debt
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / qps);
        }
    }

    public void Forget(TKey key) { }
    public int Failures(TKey key) => 0;
}

/// <summary>The longest delay of several limiters (client-go's default: per-key exponential + overall bucket).</summary>
public sealed class MaxOfLimiter<TKey>(params IRetryRateLimiter<TKey>[] limiters) : IRetryRateLimiter<TKey>
{
    public TimeSpan When(TKey key) => limiters.Select(l => l.When(key)).Max();
    public void Forget(TKey key) { foreach (var l in limiters) l.Forget(key); }
    public int Failures(TKey key) => limiters.Max(l => l.Failures(key));
}
