using System.Diagnostics;
using QuayIntegration.Operator.Observability;
using Refit;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Records every attempt against Quay by route template (never the concrete path, which holds names), and the latency
/// of the answers that are not server errors for the adaptive attempt timeout.
/// </summary>
public sealed class QuayMetricsHandler(AdaptiveAttemptTimeout? latency = null) : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<string> RouteKey = new(HttpRequestMessageOptions.RelativePathTemplate);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var route = RouteOf(request);
        var method = request.Method.Method;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            OperatorMetrics.QuayCalls.WithLabels(method, route, ((int)response.StatusCode).ToString()).Inc();
            if ((int)response.StatusCode < 500) latency?.Record(Stopwatch.GetElapsedTime(started));
            return response;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            OperatorMetrics.QuayCalls.WithLabels(method, route, OutcomeOf(e, request)).Inc();
            throw;
        }
        finally
        {
            OperatorMetrics.QuayLatency.WithLabels(method, route).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// The caller's own cancellation token, set by <see cref="QuayResilienceHandler"/>: the token this handler gets is
    /// also cancelled by the attempt and total timeouts, and only those are timeouts.
    /// </summary>
    internal static readonly HttpRequestOptionsKey<CancellationToken> CallerCancellation = new("quay.caller-cancellation");

    /// <summary>
    /// A call the caller gave up on (the operator stopping, leadership lost, a reconcile cancelled) is "cancelled", not
    /// "timeout" or "network_error": the error-rate alert counts those as Quay's failures.
    /// </summary>
    private static string OutcomeOf(Exception e, HttpRequestMessage request) => e switch
    {
        // First: an interrupted read surfaces as a network error too.
        _ when request.Options.TryGetValue(CallerCancellation, out var caller) && caller.IsCancellationRequested => "cancelled",
        HttpRequestException => "network_error",
        _ => "timeout",
    };

    internal static string RouteOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(RouteKey, out var route) && route is not null ? route.Split('?')[0] : "unknown";
}
