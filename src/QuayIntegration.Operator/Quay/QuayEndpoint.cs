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
        BodyTimeout = options.AttemptTimeout;
        Pipeline = QuayResilience.Build(options, AttemptTimeout, Breaker);
        ProbePipeline = QuayResilience.BuildProbe(options);
    }

    public AdaptiveAttemptTimeout AttemptTimeout { get; }

    /// <summary>
    /// How long the body of one answer may take once its headers are in: the attempt timeout's ceiling, not its
    /// adaptive value, because a large answer (every organization of the token's user) takes longer than a typical one.
    /// </summary>
    public TimeSpan BodyTimeout { get; }
    public CircuitBreakerManualControl Breaker { get; } = new();
    public QuayAvailability Availability { get; } = new();
    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }
    public ResiliencePipeline<HttpResponseMessage> ProbePipeline { get; }
}
