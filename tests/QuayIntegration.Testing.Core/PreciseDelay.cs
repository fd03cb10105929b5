using System.Diagnostics;

namespace QuayIntegration.Testing.Core;

/// <summary>
/// Waits that end when they were asked to, within about a millisecond, for the test world's injected latency and the
/// benchmark's pacing.
/// </summary>
/// <remarks>
/// <see cref="Task.Delay(TimeSpan)"/> and every .NET timer are driven by the runtime's coarse tick count, which on a
/// Linux kernel built with HZ=250 moves in 4 ms steps: <c>Task.Delay(25)</c> returns after 28 ms there, and
/// <c>Task.Delay(1)</c> after 4. An emulated Quay told to answer in 25 ms then answered in 28, and a load generator
/// told to send one review per millisecond sent them four at a time, up to 4 ms late. Here one background thread
/// sleeps until the earliest deadline with a timed monitor wait, which the kernel honours to a fraction of a
/// millisecond, and hands each finished wait to the thread pool.
/// </remarks>
public static class PreciseDelay
{
    private static readonly object Gate = new();
    private static readonly PriorityQueue<Waiter, long> Due = new();
    private static Thread? _thread;

    /// <summary>
    /// Completes no sooner than <paramref name="delay"/> from now; <see cref="Timeout.InfiniteTimeSpan"/> waits until
    /// cancelled, as <see cref="Task.Delay(TimeSpan, CancellationToken)"/> does.
    /// </summary>
    public static Task For(TimeSpan delay, CancellationToken ct = default)
    {
        if (delay == Timeout.InfiniteTimeSpan) return Task.Delay(Timeout.InfiniteTimeSpan, ct);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        var now = Stopwatch.GetTimestamp();
        // Saturated: a delay too long for the timestamp's range never ends, rather than wrapping into the past.
        var ticks = delay.TotalSeconds * Stopwatch.Frequency;
        return Until(ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks, ct);
    }

    /// <summary>Completes no sooner than the <see cref="Stopwatch.GetTimestamp"/> value <paramref name="timestamp"/>.</summary>
    public static Task Until(long timestamp, CancellationToken ct = default) => Timed(timestamp, ct);

    /// <summary>
    /// <see cref="Until"/>, answering the timestamp at which the delay thread found the wait due (before the hand-off to
    /// the thread pool): what the tests hold the delay thread's own precision to.
    /// </summary>
    internal static Task<long> Timed(long timestamp, CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return Task.FromCanceled<long>(ct);
        var now = Stopwatch.GetTimestamp();
        if (timestamp <= now) return Task.FromResult(now);

        var waiter = new Waiter();
        // Registered before the wait is queued, so the delay thread (through the lock) sees the registration it disposes.
        if (ct.CanBeCanceled) waiter.CancelWith(ct);
        lock (Gate)
        {
            _thread ??= StartThread();
            var earliest = Due.TryPeek(out _, out var first) ? first : long.MaxValue;
            Due.Enqueue(waiter, timestamp);
            // Only a new earliest deadline shortens the thread's sleep.
            if (timestamp < earliest) Monitor.Pulse(Gate);
        }
        return waiter.Task;
    }

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "precise-delay" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        lock (Gate)
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                while (Due.TryPeek(out var waiter, out var due) && due <= now)
                {
                    Due.Dequeue();
                    waiter.Finish(now);
                }
                Monitor.Wait(Gate, Due.TryPeek(out _, out var next) ? MillisecondsUntil(next, now) : Timeout.Infinite);
            }
        }
    }

    /// <summary>Rounded up, so a wait never ends early; at least 1, so a sub-millisecond remainder does not spin.</summary>
    private static int MillisecondsUntil(long due, long now) =>
        (int)Math.Clamp(Math.Ceiling((due - now) * 1000.0 / Stopwatch.Frequency), 1, int.MaxValue);

    /// <summary>One wait. Its continuations run on the thread pool, never on the delay thread.</summary>
    private sealed class Waiter() : TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private CancellationTokenRegistration _registration;

        public void CancelWith(CancellationToken ct)
        {
            // A cancelled wait stays in the queue until its deadline (it and what its token holds), where finishing it
            // again does nothing: harmless for the milliseconds the test world waits.
            _registration = ct.Register(static (state, token) => ((Waiter)state!).TrySetCanceled(token), this);
        }

        public void Finish(long at)
        {
            if (TrySetResult(at)) _registration.Dispose();
        }
    }
}
