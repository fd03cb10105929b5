using System.Net;
using System.Security.Authentication;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace QuayIntegration.Operator.Quay;

public sealed class QuayOptions
{
    /// <summary>Maximum concurrent calls to one Quay (shared by every controller).</summary>
    public int MaxConcurrentCalls { get; set; } = 8;
    /// <summary>The longest one attempt may take; the actual timeout follows Quay's latency (<see cref="AdaptiveAttemptTimeout"/>).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The shortest attempt timeout, however fast Quay answers.</summary>
    public TimeSpan MinAttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>The timeout of the probe that checks whether Quay is back after an outage.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(3);
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(45);
    public int MaxRetries { get; set; } = 3;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long after a create of an organization was written ahead Quay may still carry it out: the write ahead itself
    /// may take the API request timeout (30 s), the call then at most <see cref="TotalTimeout"/> (45 s), a replaced
    /// leader's last one as long, and Quay may finish a request whose client has gone. An organization absent when its
    /// namespace is deleted is looked for again until then.
    /// </summary>
    public TimeSpan UnansweredCreateGrace { get; set; } = TimeSpan.FromMinutes(3);
}

/// <summary>
/// The Polly pipeline shared by all calls to one Quay: total timeout → retry (jittered exponential, honours
/// Retry-After) → circuit breaker → concurrency limiter → per-attempt timeout. Retries only happen for requests marked
/// retryable (idempotent, or creates whose retry is safely detected as "already exists" and told apart by a mark). The attempt timeout sits
/// inside the concurrency limiter, so an attempt that times out gives its slot back at once; its length follows Quay's
/// observed latency, doubled for the retry of an attempt it cut (<see cref="AdaptiveAttemptTimeout"/>) while a quarter
/// of the slots at most are so extended (<see cref="ExtendedAttemptGate"/>).
/// </summary>
public static class QuayResilience
{
    public static readonly ResiliencePropertyKey<bool> Retryable = new("quay.retryable");
    /// <summary>How many attempts of this request the attempt timeout cut so far (<see cref="AdaptiveAttemptTimeout.ForAttempt"/>).</summary>
    private static readonly ResiliencePropertyKey<int> CutAttempts = new("quay.cut-attempts");

    public static int CutAttemptsOf(ResilienceContext context) => context.Properties.GetValue(CutAttempts, 0);

    public static ResiliencePipeline<HttpResponseMessage> Build(QuayOptions options, AdaptiveAttemptTimeout? attemptTimeout = null,
        CircuitBreakerManualControl? breaker = null) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(options.TotalTimeout)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(Retryable, false) && IsTransient(args.Outcome) && !IsAnAnswer(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options.RetryMaxDelay * 3)),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = 0.5,
                MinimumThroughput = 6,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = options.CircuitBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome) && !IsAnAnswer(args.Outcome)),
                ManualControl = breaker,
            })
            .AddConcurrencyLimiter(options.MaxConcurrentCalls, queueLimit: 10_000)
            .AddStrategy(_ => new ExtendedAttemptGate(ExtendedAttemptGate.SlotsFor(options.MaxConcurrentCalls)))
            .AddTimeout(new TimeoutStrategyOptions
            {
                TimeoutGenerator = args => ValueTask.FromResult(
                    attemptTimeout?.ForAttempt(args.Context.Properties.GetValue(ExtendedAttemptGate.Extended, false) ? CutAttemptsOf(args.Context) : 0)
                    ?? options.AttemptTimeout),
                OnTimeout = args =>
                {
                    args.Context.Properties.Set(CutAttempts, CutAttemptsOf(args.Context) + 1);
                    return default;
                },
            })
            .Build();

    /// <summary>The probe's pipeline: one attempt with a short timeout, nothing else (it must pass while the breaker is open).</summary>
    public static ResiliencePipeline<HttpResponseMessage> BuildProbe(QuayOptions options) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(options.ProbeTimeout).Build();

    /// <summary>5xx, 429, 408, timeouts and network errors; never TLS failures (a bad CA does not heal by retrying).</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => outcome.Result is { } r && IsTransientStatus(r.StatusCode),
        TimeoutRejectedException => true,
        HttpRequestException e => !IsTlsFailure(e),
        _ => false,
    };

    public static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status is 408 or 429 || (int)status >= 500;

    public static bool IsTlsFailure(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is AuthenticationException) return true;
        return false;
    }

    /// <summary>Honour Retry-After (seconds or date) on 429/503, capped; otherwise let the backoff decide (null).</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan cap)
    {
        var header = response?.Headers.RetryAfter;
        if (header is null) return null;
        var delay = header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (delay is null) return null;
        if (delay < TimeSpan.Zero) return TimeSpan.Zero;
        return delay > cap ? cap : delay;
    }

    /// <summary>
    /// A repository permission PUT: Quay answers one on a repository that does not exist with a 500 (the permission
    /// model's DoesNotExist goes uncaught when the caller administers the organization). Retrying it cannot help, and
    /// counting it would let a repository deleted behind the operator's back open the circuit for every controller; the
    /// client asks whether the repository is there instead (<see cref="QuayClient.SetRepositoryPermissionAsync"/>).
    /// </summary>
    public static bool AnswersWith500(HttpRequestMessage request) =>
        request.Method == HttpMethod.Put && request.RequestUri?.AbsolutePath.Contains("/permissions/user/", StringComparison.Ordinal) == true;

    /// <summary>A 500 that is one of Quay's answers (<see cref="AnswersWith500"/>), told from the request it answers: neither retried nor counted by the breaker.</summary>
    private static bool IsAnAnswer(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result is { StatusCode: HttpStatusCode.InternalServerError, RequestMessage: { } request } && AnswersWith500(request);

    public static bool IsRetryableRequest(HttpRequestMessage request)
    {
        if (request.Method == HttpMethod.Get || request.Method == HttpMethod.Put || request.Method == HttpMethod.Delete ||
            request.Method == HttpMethod.Head)
            return true;
        // Creating a repository twice gives a recognisable "already exists", and the repository's mark tells whose it is.
        // An organization carries no mark: a retry's "already exists" could not tell the first attempt's create from
        // someone else's, so its create is tried again by the next reconcile instead, which reads the record's write
        // ahead (OrganizationStep). A prototype POST would insert a duplicate row, so it is never retried.
        var path = request.RequestUri?.AbsolutePath ?? "";
        return request.Method == HttpMethod.Post && path.EndsWith("/api/v1/repository");
    }
}

/// <summary>Runs each request through the shared pipeline, sending a fresh copy per attempt.</summary>
public sealed class QuayResilienceHandler(ResiliencePipeline<HttpResponseMessage> pipeline) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(QuayResilience.Retryable, QuayResilience.IsRetryableRequest(request));
        request.Options.Set(QuayMetricsHandler.CallerCancellation, cancellationToken); // each attempt's copy carries it
        try
        {
            return await pipeline.ExecuteAsync(
                async ctx => await base.SendAsync(Copy(request, body), ctx.CancellationToken), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static HttpRequestMessage Copy(HttpRequestMessage original, byte[]? body)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri) { Version = original.Version };
        foreach (var header in original.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        foreach (var option in original.Options) ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var header in original.Content!.Headers) copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        return copy;
    }
}
