using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Quay.Accounting;
using QuayIntegration.Emulators.Quay.Api;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Quay.Hosting;

/// <summary>
/// The one terminal middleware: route (Werkzeug rules: 404 / 405 / 308), count, inject faults, read the body
/// (413 over the limit), resolve the caller, apply the CSRF rule, run the handler, write the answer. Handlers never
/// see HTTP plumbing and every exception becomes an answer, so no request ends unhandled.
/// </summary>
public sealed class RequestPipeline(EmulatorCore core)
{
    private const string ControlPrefix = "/_emulator";

    public async Task InvokeAsync(HttpContext http)
    {
        var method = http.Request.Method;
        var path = http.Request.Path.Value ?? "/";
        var outcome = core.Routes.Resolve(method, path);

        var route = outcome switch
        {
            RoutingOutcome.Matched m => m.Match.Route,
            RoutingOutcome.WrongMethod w => w.Route,
            RoutingOutcome.RedirectToSlash r => r.Route,
            _ => null,
        };
        var area = route?.Area ?? (path.StartsWith(ControlPrefix, StringComparison.Ordinal) ? RouteArea.Control : RouteArea.QuayApi);
        var template = route?.Template ?? CallAccounting.UnmatchedRoute;
        var counted = area != RouteArea.Control;

        long arrivedAt = 0;
        TimeSpan? stall = null;
        ApiResponse? instead = null;
        var insteadAfter = TimeSpan.Zero;
        if (counted)
        {
            arrivedAt = core.Calls.Arrived();
            var fault = core.Faults.Decide(method, template, path, http.Request.Headers.Authorization.ToString());
            if (!fault.IsNone && await ApplyFaultAsync(http, fault, method, template, arrivedAt)) return;
            (stall, instead, insteadAfter) = (fault.BodyStall, fault.AfterHandling, fault.AfterHandlingDelay);
        }

        var response = outcome switch
        {
            RoutingOutcome.Matched m => await HandleAsync(http, m.Match),
            RoutingOutcome.WrongMethod w => QuayErrors.MethodNotAllowed(w.Allowed),
            RoutingOutcome.RedirectToSlash => ApiResponse.NoContentWithStatus(308)
                .WithHeader("Location", $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{path}/{http.Request.QueryString}"),
            _ => QuayErrors.UnknownRoute(),
        };
        if (counted && stall is { } stalled)
        {
            core.Calls.Record(method, template, 0, arrivedAt);
            await response.WriteHalfAndStallAsync(http, stalled, core.Stopping.Token);
            return;
        }
        if (counted && instead is not null)
        {
            // Handled; its own answer is lost on the way, and another comes once the proxy stops waiting (or never, when
            // the client gives up first).
            response = instead;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, core.Stopping.Token);
            try
            {
                if (insteadAfter > TimeSpan.Zero) await Task.Delay(insteadAfter, linked.Token);
            }
            catch (OperationCanceledException)
            {
                core.Calls.Record(method, template, 0, arrivedAt);
                http.Abort();
                return;
            }
        }
        if (counted) core.Calls.Record(method, template, response.Status, arrivedAt);
        await response.WriteAsync(http);
    }

    /// <summary>Returns true when the fault replaced the answer (or the connection).</summary>
    private async Task<bool> ApplyFaultAsync(HttpContext http, FaultDecision fault, string method, string template, long arrivedAt)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, core.Stopping.Token);
        try
        {
            // Precise: Task.Delay would add up to a 4 ms clock tick to every injected latency (25 ms became 28).
            if (fault.Delay > TimeSpan.Zero) await PreciseDelay.For(fault.Delay, linked.Token);
            if (fault.Hang is { } hang) await Task.Delay(hang, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The client gave up (or the emulator is stopping): nothing left to answer.
        }
        if (fault.Hang is not null || fault.Drop || linked.IsCancellationRequested)
        {
            core.Calls.Record(method, template, 0, arrivedAt);
            http.Abort();
            return true;
        }
        if (fault.Response is { } response)
        {
            core.Calls.Record(method, template, response.Status, arrivedAt);
            await response.WriteAsync(http);
            return true;
        }
        return false;
    }

    private async Task<ApiResponse> HandleAsync(HttpContext http, RouteMatch match)
    {
        var route = match.Route;
        var method = http.Request.Method;
        if (method == "OPTIONS")
            return ApiResponse.NoContentWithStatus(200).WithHeader("Allow", string.Join(", ", route.AllowedMethods()));

        try
        {
            var limit = route.Area == RouteArea.Registry ? core.Options.MaxRegistryBodyBytes : core.Options.MaxApiBodyBytes;
            var body = await BodyReader.ReadAsync(http, limit);
            if (body is null) return ApiResponse.Raw(413, "text/html", HtmlPages.NginxBytes(413, "Request Entity Too Large"));

            var caller = Caller.Anonymous;
            if (route.Area == RouteArea.QuayApi)
            {
                caller = core.ResolveCaller(http.Request.Headers.Authorization.FirstOrDefault());
                // csrf_protect: any write without a valid OAuth token is refused before the endpoint runs.
                var isWrite = !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method);
                if (isWrite && !caller.HasValidToken) return QuayErrors.Csrf().Render(http.Request);
                // check_anon_protection (discovery is @anon_allowed), then the read-only registry state.
                if (!core.Store.AnonymousAccess && caller.User is null && route.Template != Api.Endpoints.DiscoveryEndpoints.Template)
                    return QuayErrors.HtmlError(401, "Anonymous access is not allowed").Render(http.Request);
                if (isWrite && core.Store.ReadOnly) return QuayErrors.ReadOnly().Render(http.Request);
            }

            var handler = route.Handlers.TryGetValue(method, out var h) ? h : route.Handlers["GET"];
            return handler(new ApiRequest(http, match, caller, core, body));
        }
        catch (QuayErrorException error)
        {
            return error.Render(http.Request);
        }
        catch (BadHttpRequestException)
        {
            return ApiResponse.Json(400, new System.Text.Json.Nodes.JsonObject { ["message"] = "The browser (or proxy) sent a request that this server could not understand." });
        }
        catch (Exception unexpected) when (unexpected is not OperationCanceledException)
        {
            core.UnexpectedExceptions.Enqueue(unexpected);
            return QuayErrors.ServerError().Render(http.Request);
        }
    }
}
