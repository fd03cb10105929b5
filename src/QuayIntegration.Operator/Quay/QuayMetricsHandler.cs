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
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
        {
            OperatorMetrics.QuayCalls.WithLabels(method, route, e is HttpRequestException ? "network_error" : "timeout").Inc();
            throw;
        }
        finally
        {
            OperatorMetrics.QuayLatency.WithLabels(method, route).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    internal static string RouteOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(RouteKey, out var route) && route is not null ? route.Split('?')[0] : "unknown";
}
