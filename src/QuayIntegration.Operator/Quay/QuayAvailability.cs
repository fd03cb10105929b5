namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Whether a Quay is answering, as the calls of every controller find out: a few consecutive calls that found it
/// unavailable even after their retries mark it down. The integration then stops sending work into the outage (the
/// namespaces wait) and probes Quay with a short backoff instead, and marks it up again as soon as it answers, so
/// recovery takes seconds and the outage costs Quay only the probes.
/// </summary>
public sealed class QuayAvailability
{
    /// <summary>Consecutive unavailable outcomes that mark Quay down.</summary>
    public const int Threshold = 5;

    private readonly Lock _gate = new();
    private int _consecutive;
    private bool _down;

    public bool IsDown
    {
        get { lock (_gate) return _down; }
    }

    /// <summary>Raised (outside the lock) when Quay was just marked down.</summary>
    public event Action? WentDown;

    /// <summary>The outcome of one call, after its retries.</summary>
    public void Record(QuayOutcome outcome)
    {
        var wentDown = false;
        lock (_gate)
        {
            if (outcome != QuayOutcome.Unavailable)
            {
                _consecutive = 0;
                return;
            }
            if (++_consecutive >= Threshold && !_down) wentDown = _down = true;
        }
        if (wentDown) WentDown?.Invoke();
    }

    /// <summary>A probe got an answer: Quay is up.</summary>
    public void Recovered()
    {
        lock (_gate)
        {
            _down = false;
            _consecutive = 0;
        }
    }
}
