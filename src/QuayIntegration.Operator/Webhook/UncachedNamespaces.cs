using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Observability;

namespace QuayIntegration.Operator.Webhook;

/// <summary>What the API server said of a namespace: <see cref="Answered"/> false when it could not be asked now.</summary>
public readonly record struct LiveNamespaceRead(bool Answered, V1Namespace? Namespace)
{
    public static LiveNamespaceRead Unavailable => default;
}

/// <summary>
/// The webhook's read of a namespace that this replica's cache does not hold (its watch behind, or the namespace just
/// made), from the API server. Bounded, since anything that reaches the webhook's Service can send reviews naming any
/// namespace, and the reads share the operator's API client (and its fair share of the API server) with the leader's
/// controllers and its lease: at most <see cref="MaxReads"/> at a time and <see cref="ReadsPerSecond"/> a second (a
/// review beyond either is told the namespace cannot be read now, to be retried), and one read per name shared by the
/// reviews that ask while it runs. No answer is kept after: a namespace made or labelled a moment later must be seen
/// as it is. A real cluster needs a read only for a namespace made a moment before its first Build.
/// </summary>
public sealed class UncachedNamespaces(LiveNamespaces live, TimeProvider time, ILogger<UncachedNamespaces> log) : IDisposable
{
    public const int MaxReads = 4;
    public const int ReadsPerSecond = 10;
    /// <summary>Two reads (a Build's namespace and its output's) fit well inside the webhook's own timeout (5 s): the
    /// user gets a denial that says why, not a failed call.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _reads = new(MaxReads, MaxReads);
    private readonly TokenBucketRateLimiter _rate = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = ReadsPerSecond, TokensPerPeriod = ReadsPerSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
    });
    private readonly ConcurrentDictionary<string, Task<LiveNamespaceRead>> _inFlight = new(StringComparer.Ordinal);
    private long _lastWarningTicks;

    public async ValueTask<LiveNamespaceRead> ReadAsync(string name)
    {
        var source = new TaskCompletionSource<LiveNamespaceRead>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _inFlight.GetOrAdd(name, source.Task);
        if (running != source.Task) return await running;
        var read = LiveNamespaceRead.Unavailable;
        try
        {
            read = await ReadWithinBoundsAsync(name);
            return read;
        }
        finally
        {
            // Whatever happened, the reviews waiting on this read get an answer, and the next review reads anew.
            _inFlight.TryRemove(new(name, source.Task));
            source.TrySetResult(read);
        }
    }

    private async Task<LiveNamespaceRead> ReadWithinBoundsAsync(string name)
    {
        if (!_reads.Wait(0)) return LiveNamespaceRead.Unavailable;
        try
        {
            using var allowed = _rate.AttemptAcquire();
            return allowed.IsAcquired ? await AskAsync(name) : LiveNamespaceRead.Unavailable;
        }
        finally
        {
            _reads.Release();
        }
    }

    private async Task<LiveNamespaceRead> AskAsync(string name)
    {
        // Webhook connections continue on the socket engine's thread, which every connection waits on: the request's
        // set-up (the token file read, the connection pool) runs elsewhere.
        await IoScheduling.LeaveSocketThreadAsync();
        try
        {
            using var timeout = new CancellationTokenSource(ReadTimeout, time);
            return new LiveNamespaceRead(true, await live.ReadAsync(name, timeout.Token));
        }
        catch (Exception e)
        {
            // Each review says it in its denial; the log says why, once a minute at most (a lasting failure, such as a
            // missing RBAC rule or a throttled API server, is not hidden, nor does it flood the log).
            var now = time.GetUtcNow().UtcTicks;
            var last = Interlocked.Read(ref _lastWarningTicks);
            if (now - last >= WarningInterval.Ticks && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last)
                log.NamespaceUnreadForAdmission(name, e.Message);
            return LiveNamespaceRead.Unavailable;
        }
    }

    public void Dispose()
    {
        _rate.Dispose();
        _reads.Dispose();
    }
}
