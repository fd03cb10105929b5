using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// The operator's listeners: plain HTTP for probes (and metrics, unless they are secure), HTTPS for the admission
/// webhook, and HTTPS for /metrics behind token and RBAC checks when <c>Operator:Metrics:Secure</c> is on.
/// </summary>
public enum OperatorListener
{
    Metrics,
    Webhook,
    SecureMetrics,
}

/// <summary>Endpoint metadata: the one listener the endpoint answers on.</summary>
public sealed record ServedOnMetadata(OperatorListener Listener);

/// <summary>
/// Tells the listeners apart by the local port of the connection, as bound (so port 0 in tests works too). Never by
/// the Host header: the client writes it, and the API server calls the Service's port 443, not the pod's.
/// It lives with the webhook because the webhook port is the one the Service exposes to the whole cluster: only the
/// webhook answers there (<see cref="AdmissionEndpoint.UseAdmissionWebhook"/>, ahead of routing), and routing's
/// endpoints (probes, metrics) answer only on the listeners they are served on.
/// </summary>
public sealed class OperatorListeners
{
    private readonly Dictionary<OperatorListener, ListenOptions> _listeners = [];

    public void Add(OperatorListener listener, ListenOptions options) => _listeners[listener] = options;

    /// <summary>The port a listener is bound to (the real one when configured as 0); null when it is not listening.</summary>
    public int? PortOf(OperatorListener listener) => _listeners.TryGetValue(listener, out var options) ? options.IPEndPoint?.Port : null;

    /// <summary>The listener a connection arrived on; null if it matches none (then nothing answers).</summary>
    public OperatorListener? Of(ConnectionInfo connection)
    {
        foreach (var (listener, options) in _listeners)
            if (options.IPEndPoint?.Port == connection.LocalPort) return listener;
        return null;
    }
}

public static class ListenerSeparation
{
    public static TBuilder ServedOn<TBuilder>(this TBuilder endpoint, OperatorListener listener) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new ServedOnMetadata(listener));

    /// <summary>
    /// After routing, before the endpoint runs: an endpoint reached through a listener it is not served on is a 404,
    /// as if it did not exist there. Endpoints without the metadata are served nowhere.
    /// </summary>
    public static IApplicationBuilder UseListenerSeparation(this IApplicationBuilder app, OperatorListeners listeners) =>
        app.Use((context, next) =>
        {
            if (context.GetEndpoint() is not { } endpoint) return next(context);
            var servedOn = endpoint.Metadata.GetMetadata<ServedOnMetadata>();
            if (servedOn is not null && servedOn.Listener == listeners.Of(context.Connection)) return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
}
