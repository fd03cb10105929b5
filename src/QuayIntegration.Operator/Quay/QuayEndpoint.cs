using Polly;
using Polly.CircuitBreaker;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// What every call to one Quay (one base address) shares, whatever the token or CA of the moment: the resilience
/// pipeline with its concurrency cap and circuit breaker, the attempt timeout sized from Quay's latency, whether Quay
/// is answering at all, and the bare pipeline of the probe that finds out when it answers again.
/// </summary>
public sealed class QuayEndpoint
{
    public QuayEndpoint(QuayOptions options)
    {
        AttemptTimeout = new AdaptiveAttemptTimeout(options);
        Pipeline = QuayResilience.Build(options, AttemptTimeout, Breaker);
        ProbePipeline = QuayResilience.BuildProbe(options);
    }

    public AdaptiveAttemptTimeout AttemptTimeout { get; }
    public CircuitBreakerManualControl Breaker { get; } = new();
    public QuayAvailability Availability { get; } = new();
    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }
    public ResiliencePipeline<HttpResponseMessage> ProbePipeline { get; }
}
