using Prometheus;

namespace QuayIntegration.Operator.Webhook;

/// <summary>Admission requests by outcome (patched, denied reasons, untouched reasons, malformed) and their latency.</summary>
public static class AdmissionMetrics
{
    public static readonly Counter Requests = Metrics.CreateCounter(
        "quayintegration_admission_requests_total", "Admission reviews answered, by operation and outcome.",
        new CounterConfiguration { LabelNames = ["operation", "outcome"] });

    public static readonly Histogram Latency = Metrics.CreateHistogram(
        "quayintegration_admission_duration_seconds", "Time to answer an admission review.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
}
