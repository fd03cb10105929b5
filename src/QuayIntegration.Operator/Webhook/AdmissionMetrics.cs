using System.Collections.Frozen;
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

    /// <summary>admission.k8s.io/v1's operations, then <see cref="OtherOperation"/>: the <c>operation</c> label's values by index.</summary>
    private static readonly string[] Operations = ["CREATE", "UPDATE", "DELETE", "CONNECT", OtherOperation];

    private static readonly string[] Outcomes = [.. AdmissionOutcome.All];
    private static readonly FrozenDictionary<string, int> OutcomeIndex =
        Outcomes.Select((outcome, index) => KeyValuePair.Create(outcome, index)).ToFrozenDictionary(StringComparer.Ordinal);
    private static readonly int OtherOutcome = OutcomeIndex[AdmissionOutcome.Other];

    /// <summary>
    /// Each (operation, outcome) series once found: prometheus-net finds a labelled series by hashing its label values
    /// on every call, and the webhook counts one per review. Filled as series are first used (so /metrics shows only
    /// those), racing writers store the same series.
    /// </summary>
    private static readonly Counter.Child?[] Series = new Counter.Child?[Operations.Length * Outcomes.Length];

    public static void Record(string? operation, string outcome)
    {
        var o = OperationIndex(operation);
        var i = outcome is not null && OutcomeIndex.TryGetValue(outcome, out var known) ? known : OtherOutcome;
        ref var series = ref Series[o * Outcomes.Length + i];
        (series ??= Requests.WithLabels(Operations[o], Outcomes[i])).Inc();
    }

    /// <summary>admission.k8s.io/v1's operations; anything else (made up by a client) is <c>other</c>.</summary>
    public static string OperationLabel(string? operation) => Operations[OperationIndex(operation)];

    private static int OperationIndex(string? operation) => operation switch
    {
        "CREATE" => 0,
        "UPDATE" => 1,
        "DELETE" => 2,
        "CONNECT" => 3,
        _ => Operations.Length - 1, // other
    };
}
