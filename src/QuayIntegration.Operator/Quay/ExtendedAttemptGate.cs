using Polly;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Lets only a few attempts at a time run past the learnt attempt timeout. The retry of an attempt the timeout cut may
/// get more time (<see cref="AdaptiveAttemptTimeout.ForAttempt"/>), so that a Quay turned slower than what it taught
/// still gets its answers through; but a wedged Quay pod that hangs half the connections would then have every slot of
/// the concurrency limit held by retries waiting 2, 4, 8 s, and the calls that would answer at once wait behind them.
/// With this gate at most a quarter of the slots (at least one) wait longer than the learnt timeout; a cut attempt's
/// retry that finds the gate full runs with the learnt timeout, as a first attempt does.
/// </summary>
/// <remarks>Sits between the concurrency limiter and the attempt timeout, which reads <see cref="Extended"/>.</remarks>
public sealed class ExtendedAttemptGate(int slots) : ResilienceStrategy<HttpResponseMessage>
{
    /// <summary>Whether the attempt now running may take longer than the learnt timeout.</summary>
    public static readonly ResiliencePropertyKey<bool> Extended = new("quay.extended-attempt");

    /// <summary>How many attempts may run past the learnt timeout at once, for a limit of <paramref name="maxConcurrentCalls"/>.</summary>
    public static int SlotsFor(int maxConcurrentCalls) => Math.Max(1, maxConcurrentCalls / 4);

    private int _inUse;

    protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback, ResilienceContext context, TState state)
    {
        var extended = QuayResilience.CutAttemptsOf(context) > 0 && TryTakeSlot();
        context.Properties.Set(Extended, extended);
        if (!extended) return await callback(context, state).ConfigureAwait(false);
        try
        {
            return await callback(context, state).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inUse);
        }
    }

    /// <summary>Never waits: a retry that finds the slots taken runs with the learnt timeout instead.</summary>
    private bool TryTakeSlot()
    {
        while (true)
        {
            var taken = Volatile.Read(ref _inUse);
            if (taken >= slots) return false;
            if (Interlocked.CompareExchange(ref _inUse, taken + 1, taken) == taken) return true;
        }
    }
}
