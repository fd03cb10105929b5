using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Observability;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// <c>POST /admissionwebhook</c>, on the HTTPS listener only: reads the body within the size limit and answers with
/// what <see cref="AdmissionReviewer"/> decides. Every request gets a well-formed AdmissionReview or a 4xx with one
/// line of text, never a 5xx: a body that is not a readable AdmissionReview is a 400, a body over the limit a 413, a
/// body sent too slowly a 408. Those client faults are logged here once, with the remote address, at Warning (over
/// the limit, too slow: worth a look) or Debug (broken off, broken HTTP: clients time out and go away).
/// The webhook has no side effects, so a dryRun request is answered exactly like a real one.
/// </summary>
public static class AdmissionEndpoint
{
    public const string Path = "/admissionwebhook";

    /// <summary>Bodies larger than this are parsed on the thread pool; a Build's review is a few kilobytes.</summary>
    private const int InlineBodyBytes = 64 * 1024;

    public static IEndpointConventionBuilder MapAdmissionWebhook(this IEndpointRouteBuilder endpoints)
    {
        // One logger for every request: created per request, it took 3 % of the webhook's CPU at 1,000 reviews/s (perf).
        var log = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdmissionEndpoint).FullName!);
        // A plain RequestDelegate: a handler with parameters would be bound by RequestDelegateFactory, which compiles an
        // expression tree at start-up (System.Linq.Expressions loaded and JIT-compiled for one endpoint). The reviewer
        // is looked up per request, as that binding did, so building the host constructs nothing the start-up checks
        // have not validated yet.
        return endpoints.MapPost(Path, async context =>
            {
                var reviewer = context.RequestServices.GetRequiredService<AdmissionReviewer>();
                await (await HandleAsync(context, reviewer, log)).ExecuteAsync(context);
            })
            .ServedOn(OperatorListener.Webhook);
    }

    private static async Task<IResult> HandleAsync(HttpContext context, AdmissionReviewer reviewer, ILogger log)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var body = await AdmissionBody.ReadAsync(context);
            if (body is null) return await ClientFaultAsync(context, log, LogLevel.Warning, AdmissionOutcome.TooLarge, AdmissionAnswer.TooLarge(), "the body is over the limit");
            // A large body's parsing takes milliseconds: not on the socket engine's thread, which every connection waits on.
            if (body.Length > InlineBodyBytes) await IoScheduling.LeaveSocketThreadAsync();
            var answer = await reviewer.ReviewAsync(body);
            if (!answer.IsReview)
            {
                await IoScheduling.LeaveSocketThreadAsync(); // the log line below, written synchronously
                log.AdmissionAnswered(answer.StatusCode, context.Connection.RemoteIpAddress, answer.Body);
            }
            return Results.Text(answer.Body, answer.ContentType, statusCode: answer.StatusCode);
        }
        catch (BadHttpRequestException e)
        {
            return e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge =>
                    await ClientFaultAsync(context, log, LogLevel.Warning, AdmissionOutcome.TooLarge, AdmissionAnswer.TooLarge(), "the body is over the limit"),
                StatusCodes.Status408RequestTimeout =>
                    await ClientFaultAsync(context, log, LogLevel.Warning, AdmissionOutcome.ClientError,
                        AdmissionAnswer.Problem(408, "the body arrived too slowly"), "the body arrived too slowly"),
                // Kestrel's message is its own fixed text (bad chunk framing, body cut short), never the client's bytes.
                _ => await ClientFaultAsync(context, log, LogLevel.Debug, AdmissionOutcome.ClientError,
                    AdmissionAnswer.Problem(e.StatusCode, "the HTTP request body is broken"), e.Message),
            };
        }
        catch (Exception e) when (e is IOException || e is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            await ClientFaultAsync(context, log, LogLevel.Debug, AdmissionOutcome.ClientError, null, "the client broke off the request");
            return Results.Empty; // nobody is left to read an answer
        }
        finally
        {
            AdmissionMetrics.Latency.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static async ValueTask<IResult> ClientFaultAsync(HttpContext context, ILogger log, LogLevel level, string outcome, AdmissionAnswer? answer, string reason)
    {
        AdmissionMetrics.Record(null, outcome);
        // Any client that reaches the Service can cause this line: it is written synchronously, so not on the socket
        // engine's thread, which every connection waits on.
        await IoScheduling.LeaveSocketThreadAsync();
        log.AdmissionRequestRejected(level, context.Connection.RemoteIpAddress, reason);
        if (answer is null) return Results.Empty;
        // Whatever is left of the body is not worth reading: close rather than drain it.
        context.Response.Headers.Connection = "close";
        return Results.Text(answer.Body, answer.ContentType, statusCode: answer.StatusCode);
    }
}
