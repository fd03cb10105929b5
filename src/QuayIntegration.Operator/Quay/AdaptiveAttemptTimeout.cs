namespace QuayIntegration.Operator.Quay;

/// <summary>
/// The timeout of one attempt against a Quay, sized from the latencies that Quay has shown: four times the 99th
/// percentile of its recent successful answers, at least <see cref="QuayOptions.MinAttemptTimeout"/> and at most
/// <see cref="QuayOptions.AttemptTimeout"/>. A call that hangs (a dead connection, a stuck Quay worker) then gives its
/// concurrency slot back after about a second rather than ten, so a few hung calls cannot stall every other call to
/// Quay; a Quay that is merely slow (every answer taking seconds) still gets the time it needs. Until enough answers
/// were seen, the configured maximum applies.
/// <para>
/// An attempt cut by the timeout leaves no sample (its answer never came), so a Quay, or one route of it, that turned
/// slower than what was learnt while it was fast would never answer in time again. The retry of a cut attempt therefore
/// gets twice its time (<see cref="ForAttempt"/>): a slow answer gets through on a later attempt and becomes a sample,
/// while a hung call costs only its own request the longer waits. Every first attempt keeps the learnt timeout, and
/// only a quarter of the concurrency slots at a time may be so extended (<see cref="ExtendedAttemptGate"/>), so hung
/// calls cannot hold all the slots for long.
/// </para>
/// </summary>
public sealed class AdaptiveAttemptTimeout(QuayOptions options)
{
    private const int Window = 512;
    private const int MinimumSamples = 20;
    private const int RecomputeEvery = 32;
    private const double Factor = 4;

    private readonly double[] _samples = new double[Window];
    private readonly Lock _gate = new();
    private int _count;
    private int _next;
    private TimeSpan _current = options.AttemptTimeout;

    public TimeSpan Current
    {
        get { lock (_gate) return _current; }
    }

    /// <summary>The timeout of an attempt of a request whose earlier attempts were cut <paramref name="cuts"/> times: the learnt one doubled per cut, at most the maximum.</summary>
    public TimeSpan ForAttempt(int cuts)
    {
        var timeout = Current;
        for (var i = 0; i < cuts && timeout < options.AttemptTimeout; i++) timeout *= 2;
        return timeout > options.AttemptTimeout ? options.AttemptTimeout : timeout;
    }

    /// <summary>Records how long a successful (non-5xx) attempt took.</summary>
    public void Record(TimeSpan latency)
    {
        lock (_gate)
        {
            _samples[_next] = latency.TotalMilliseconds;
            _next = (_next + 1) % Window;
            _count = Math.Min(_count + 1, Window);
            if (_count < MinimumSamples || _next % RecomputeEvery != 0) return;
            var sorted = _samples[.._count];
            Array.Sort(sorted);
            var p99 = TimeSpan.FromMilliseconds(sorted[(int)Math.Ceiling(0.99 * _count) - 1]);
            var wanted = p99 * Factor;
            _current = wanted < options.MinAttemptTimeout ? options.MinAttemptTimeout
                : wanted > options.AttemptTimeout ? options.AttemptTimeout
                : wanted;
        }
    }
}
