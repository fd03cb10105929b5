namespace QuayIntegration.Runtime;

/// <summary>What a reconcile asks of the queue: nothing more, or another look after a delay.</summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => new(null);
    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

/// <summary>
/// A level-triggered, idempotent reconciler: given a key, it reads the current state from caches and makes the
/// world match. Throwing means "retry with backoff"; returning a delay means "look again later" without backoff.
/// </summary>
public interface IReconciler
{
    string Name { get; }
    Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct);
}
