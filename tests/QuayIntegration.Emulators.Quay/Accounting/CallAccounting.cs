using System.Collections.Concurrent;
using System.Diagnostics;

namespace QuayIntegration.Emulators.Quay.Accounting;

/// <summary>One counter: calls of a method on a route template that ended with a status (0 = connection dropped).</summary>
public sealed record CallCount(string Method, string Route, int Status, long Count);

/// <summary>
/// Counts calls per (method, route template, status), lock-free, for tests and benchmarks. Unmatched paths are counted
/// under <see cref="UnmatchedRoute"/>; the emulator's control endpoints are never counted.
/// </summary>
public sealed class CallAccounting
{
    public const string UnmatchedRoute = "(unmatched)";

    private const int MaxArrivals = 200_000;
    private readonly ConcurrentDictionary<(string Method, string Route, int Status), StrongBox> _counters = new();
    private readonly ConcurrentQueue<DateTimeOffset> _arrivals = new();
    private long _serviceTicks;
    private long _tlsConnections;

    /// <summary>TLS connections accepted so far (counted as the handshake starts).</summary>
    public long TlsConnections => Interlocked.Read(ref _tlsConnections);

    public void TlsConnectionAccepted() => Interlocked.Increment(ref _tlsConnections);

    /// <summary>
    /// When each counted request arrived, before any fault (the newest 200,000): what a test needs to see how the
    /// traffic flowed, for example the longest pause in the calls while work was pending.
    /// </summary>
    public IReadOnlyList<DateTimeOffset> Arrivals => _arrivals.ToArray();

    /// <summary>
    /// The time counted requests spent in the emulator, from arrival to the answer being decided, injected latency
    /// included. Over a window, divided by the window's length, it is the mean number of calls Quay was actually
    /// serving at once: set against a client's concurrency cap, the rest of the cap went to the client's side of
    /// each call (TLS, HTTP, scheduling), not to Quay.
    /// </summary>
    public TimeSpan ServiceTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _serviceTicks));

    /// <summary>Notes a counted request's arrival; returns the timestamp to hand to <see cref="Record"/>.</summary>
    public long Arrived()
    {
        _arrivals.Enqueue(DateTimeOffset.UtcNow);
        while (_arrivals.Count > MaxArrivals) _arrivals.TryDequeue(out _);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Counts one answered call; with the timestamp <see cref="Arrived"/> returned, adds its service time.</summary>
    public void Record(string method, string route, int status, long arrivedAt = 0)
    {
        Interlocked.Increment(ref _counters.GetOrAdd((method, route, status), static _ => new StrongBox()).Value);
        if (arrivedAt != 0) Interlocked.Add(ref _serviceTicks, Stopwatch.GetTimestamp() - arrivedAt);
    }

    /// <summary>Calls of <paramref name="method"/> on <paramref name="route"/> (a template such as <c>/api/v1/user/</c>), any status.</summary>
    public long Count(string method, string route) =>
        _counters.Where(c => c.Key.Method == method && c.Key.Route == route).Sum(c => Interlocked.Read(ref c.Value.Value));

    public long Count(string method, string route, int status) =>
        _counters.TryGetValue((method, route, status), out var box) ? Interlocked.Read(ref box.Value) : 0;

    public long CountByStatus(int status) =>
        _counters.Where(c => c.Key.Status == status).Sum(c => Interlocked.Read(ref c.Value.Value));

    public long Total => _counters.Sum(c => Interlocked.Read(ref c.Value.Value));

    public IReadOnlyList<CallCount> Snapshot() =>
        _counters.Select(c => new CallCount(c.Key.Method, c.Key.Route, c.Key.Status, Interlocked.Read(ref c.Value.Value)))
            .Where(c => c.Count > 0)
            .OrderBy(c => c.Route, StringComparer.Ordinal).ThenBy(c => c.Method, StringComparer.Ordinal).ThenBy(c => c.Status)
            .ToList();

    public void Reset()
    {
        _counters.Clear();
        _arrivals.Clear();
        Interlocked.Exchange(ref _serviceTicks, 0);
    }

    private sealed class StrongBox
    {
        public long Value;
    }
}
