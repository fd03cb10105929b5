namespace QuayIntegration.Runtime;

/// <summary>
/// What a <see cref="WorkQueue{TKey}"/> reports, as client-go's work queue metrics do: keys added (a key already
/// waiting is not added again), the depth, how long a key waited between its first add and a worker taking it, how
/// long a worker held it, and retries after a failure.
/// </summary>
public interface IWorkQueueMetrics
{
    void Added();
    void Depth(int depth);
    void Waited(TimeSpan waited);
    void Worked(TimeSpan worked);
    void Retried();

    public static readonly IWorkQueueMetrics None = new Nothing();

    private sealed class Nothing : IWorkQueueMetrics
    {
        public void Added() { }
        public void Depth(int depth) { }
        public void Waited(TimeSpan waited) { }
        public void Worked(TimeSpan worked) { }
        public void Retried() { }
    }
}
