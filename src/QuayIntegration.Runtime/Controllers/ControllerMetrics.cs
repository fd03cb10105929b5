using Prometheus;

namespace QuayIntegration.Runtime;

/// <summary>
/// The metrics of the controllers, their work queues and leader election (one series per controller), served by the
/// application's /metrics. The work queue's follow client-go's (adds, depth, queue and work duration, retries).
/// </summary>
public static class ControllerMetrics
{
    public static readonly Counter Reconciles = Metrics.CreateCounter(
        "quayintegration_reconcile_total", "Reconciles by controller and outcome.",
        new CounterConfiguration { LabelNames = ["controller", "outcome"] });

    public static readonly Histogram ReconcileDuration = Metrics.CreateHistogram(
        "quayintegration_reconcile_duration_seconds", "Reconcile duration by controller.",
        new HistogramConfiguration { LabelNames = ["controller"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });

    public static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "quayintegration_workqueue_depth", "Keys waiting in each controller's work queue.",
        new GaugeConfiguration { LabelNames = ["controller"] });

    public static readonly Counter QueueAdds = Metrics.CreateCounter(
        "quayintegration_workqueue_adds_total", "Keys added to each controller's work queue (a key already waiting is not added again).",
        new CounterConfiguration { LabelNames = ["controller"] });

    public static readonly Histogram QueueWait = Metrics.CreateHistogram(
        "quayintegration_workqueue_queue_duration_seconds", "How long a key waited in the work queue before a worker took it.",
        new HistogramConfiguration { LabelNames = ["controller"], Buckets = Histogram.ExponentialBuckets(0.001, 4, 10) });

    public static readonly Histogram QueueWork = Metrics.CreateHistogram(
        "quayintegration_workqueue_work_duration_seconds", "How long a worker held a key.",
        new HistogramConfiguration { LabelNames = ["controller"], Buckets = Histogram.ExponentialBuckets(0.001, 4, 10) });

    public static readonly Counter QueueRetries = Metrics.CreateCounter(
        "quayintegration_workqueue_retries_total", "Keys put back with backoff after a failed reconcile.",
        new CounterConfiguration { LabelNames = ["controller"] });

    public static readonly Gauge IsLeader = Metrics.CreateGauge(
        "quayintegration_leader", "1 from winning the leader Lease until this replica's controllers have stopped.");

    /// <summary>The work-queue metrics of one controller.</summary>
    public static IWorkQueueMetrics ForQueue(string controller) => new QueueMetrics(controller);

    private sealed class QueueMetrics(string controller) : IWorkQueueMetrics
    {
        private readonly Counter.Child _adds = QueueAdds.WithLabels(controller);
        private readonly Gauge.Child _depth = QueueDepth.WithLabels(controller);
        private readonly Histogram.Child _wait = QueueWait.WithLabels(controller);
        private readonly Histogram.Child _work = QueueWork.WithLabels(controller);
        private readonly Counter.Child _retries = QueueRetries.WithLabels(controller);

        public void Added() => _adds.Inc();
        public void Depth(int depth) => _depth.Set(depth);
        public void Waited(TimeSpan waited) => _wait.Observe(waited.TotalSeconds);
        public void Worked(TimeSpan worked) => _work.Observe(worked.TotalSeconds);
        public void Retried() => _retries.Inc();
    }
}
