using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// <c>POST /admissionwebhook</c>: reads an AdmissionReview, asks <see cref="BuildAdmissionPolicy"/>, and answers with
/// the same apiVersion and uid. A body that is not an AdmissionReview gets a 400 with the reason; an unexpected
/// failure inside the policy becomes a denial with a message, never a 500, so the API server reports something a
/// user can act on. The webhook has no side effects, so a dryRun request is answered exactly like a real one.
/// </summary>
public static class AdmissionEndpoint
{
    public const string Path = "/admissionwebhook";
    private const long MaxBodyBytes = 3 * 1024 * 1024; // the API server's own request limit

    /// <summary>
    /// Served only on the HTTPS (webhook) listener. Not by host: the API server calls the Service's port (443), which
    /// the Service maps to the pod's webhook port, so the Host header never carries the port Kestrel listens on.
    /// </summary>
    public static IEndpointConventionBuilder MapAdmissionWebhook(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Path, HandleAsync).AddEndpointFilter((context, next) =>
            context.HttpContext.Request.IsHttps ? next(context) : ValueTask.FromResult<object?>(Results.NotFound()));

    public static async Task<IResult> HandleAsync(HttpContext context, BuildAdmissionPolicy policy, ILoggerFactory loggers)
    {
        var started = Stopwatch.GetTimestamp();
        var log = loggers.CreateLogger(typeof(AdmissionEndpoint).FullName!);
        try
        {
            if (context.Request.ContentLength > MaxBodyBytes) return BadRequest("unknown", "the AdmissionReview is too large");
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var request = AdmissionRequest.Parse(body, out var error);
            if (request is null) return BadRequest("unknown", error!);

            AdmissionDecision decision;
            try
            {
                decision = policy.Decide(request);
            }
            catch (Exception e)
            {
                log.LogError(e, "Admission of {Resource} in {Namespace} failed", request.Resource, request.Namespace);
                decision = AdmissionDecision.Denied("error", $"the Quay integration webhook could not process the request: {e.Message}");
            }
            AdmissionMetrics.Requests.WithLabels(request.Operation, decision.Outcome).Inc();
            if (!decision.Allowed)
                log.LogInformation("Denied {Operation} of {Resource} in {Namespace}: {Message}", request.Operation, request.Resource, request.Namespace, decision.Message);
            return Results.Text(decision.ToReview(request).ToJsonString(), "application/json");
        }
        finally
        {
            AdmissionMetrics.Latency.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static IResult BadRequest(string operation, string message)
    {
        AdmissionMetrics.Requests.WithLabels(operation, "malformed").Inc();
        return Results.Text("invalid AdmissionReview: " + message, "text/plain", statusCode: StatusCodes.Status400BadRequest);
    }
}
