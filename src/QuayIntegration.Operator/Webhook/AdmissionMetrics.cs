using Prometheus;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Admission requests by operation and outcome, and their latency. Both labels are folded to fixed sets: a label value
/// copied from a request would let any client that reaches the Service create series without bound.
/// </summary>
public static class AdmissionMetrics
{
    /// <summary>The <c>operation</c> label for a request whose operation could not be read or is not one of the four.</summary>
    public const string OtherOperation = "other";

    public static readonly Counter Requests = Metrics.CreateCounter(
        "quayintegration_admission_requests_total", "Admission reviews answered, by operation and outcome.",
        new CounterConfiguration { LabelNames = ["operation", "outcome"] });

    public static readonly Histogram Latency = Metrics.CreateHistogram(
        "quayintegration_admission_duration_seconds", "Time to answer an admission review.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });

    public static void Record(string? operation, string outcome) =>
        Requests.WithLabels(OperationLabel(operation), AdmissionOutcome.All.Contains(outcome) ? outcome : AdmissionOutcome.Other).Inc();

    /// <summary>admission.k8s.io/v1's operations; anything else (made up by a client) is <c>other</c>.</summary>
    public static string OperationLabel(string? operation) => operation switch
    {
        "CREATE" or "UPDATE" or "DELETE" or "CONNECT" => operation,
        _ => OtherOperation,
    };
}
