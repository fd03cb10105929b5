using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Observability;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// <c>POST /admissionwebhook</c>, the one thing the HTTPS webhook listener serves: reads the body within the size limit
/// and answers with what <see cref="AdmissionReviewer"/> decides. Every request gets a well-formed AdmissionReview or a
/// 4xx with one line of text, never a 5xx: a body that is not a readable AdmissionReview is a 400, a body over the limit
/// a 413, a body sent too slowly a 408, another path a 404, another method a 405. Those client faults are logged here
/// once, with the remote address, at Warning (over the limit, too slow: worth a look) or Debug (broken off, broken
/// HTTP: clients time out and go away). The webhook has no side effects, so a dryRun request is answered exactly like a
/// real one.
/// </summary>
public static class AdmissionEndpoint
{
    public const string Path = "/admissionwebhook";

    /// <summary>Bodies larger than this are parsed on the thread pool; a Build's review is a few kilobytes.</summary>
    private const int InlineBodyBytes = 64 * 1024;

    /// <summary>
    /// Serves the webhook listener's requests here, first in the pipeline, and passes every other listener's on. The
    /// webhook's one path needs no router: endpoint routing, the listener and metrics-access checks and a result object
    /// per request were about a tenth of the operator's CPU per review (perf at 1,000 reviews/s, 2026-12-05). The path
    /// is matched as routing matched it (case-insensitive, a trailing slash allowed).
    /// </summary>
    public static IApplicationBuilder UseAdmissionWebhook(this IApplicationBuilder app, OperatorListeners listeners)
    {
        // One logger for every request: created per request, it took 3 % of the webhook's CPU at 1,000 reviews/s (perf).
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdmissionEndpoint).FullName!);
        // Looked up at the first request, not here, so building the host constructs nothing the start-up checks have
        // not validated yet. A singleton: resolved from the application's services, no request scope per review.
        AdmissionReviewer? reviewer = null;
        return app.Use(next => context =>
        {
            if (listeners.Of(context.Connection) != OperatorListener.Webhook) return next(context);
            if (!IsWebhookPath(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = HttpMethods.Post;
                return Task.CompletedTask;
            }
            reviewer ??= app.ApplicationServices.GetRequiredService<AdmissionReviewer>();
            return ServeAsync(context, reviewer, log);
        });
    }

    private static bool IsWebhookPath(PathString path)
    {
        var value = path.Value.AsSpan();
        if (value.EndsWith("/") && value.Length > 1) value = value[..^1];
        return value.Equals(Path, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task ServeAsync(HttpContext context, AdmissionReviewer reviewer, ILogger log)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (await AnswerOf(context, reviewer, log) is { } answer) Write(context.Response, answer);
        }
        finally
        {
            AdmissionMetrics.Latency.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// The answer's bytes as they are, with their length: nothing encoded or counted again on the way out. Written into
    /// the response without a flush of its own: Kestrel sends head and body together when the request ends, one pass
    /// down through TLS to the socket instead of two.
    /// </summary>
    private static void Write(HttpResponse response, AdmissionAnswer answer)
    {
        response.StatusCode = answer.StatusCode;
        response.ContentType = answer.ContentType;
        response.ContentLength = answer.Utf8.Length;
        response.BodyWriter.Write(answer.Utf8);
    }

    /// <summary>The answer to write, or null when the client broke off and nobody is left to read one.</summary>
    private static async ValueTask<AdmissionAnswer?> AnswerOf(HttpContext context, AdmissionReviewer reviewer, ILogger log)
    {
        try
        {
            if (await AdmissionBody.ReadAsync(context) is not { } body)
                return await ClientFaultAsync(context, log, LogLevel.Warning, AdmissionOutcome.TooLarge, AdmissionAnswer.TooLarge(), "the body is over the limit");
            AdmissionAnswer answer;
            using (body)
            {
                // A large body's parsing takes milliseconds: not on the socket engine's thread, which every connection waits on.
                if (body.Length > InlineBodyBytes) await IoScheduling.LeaveSocketThreadAsync();
                answer = await reviewer.ReviewAsync(body.Memory); // holds nothing of the body once it returns
            }
            if (!answer.IsReview)
            {
                await IoScheduling.LeaveSocketThreadAsync(); // the log line below, written synchronously
                log.AdmissionAnswered(answer.StatusCode, context.Connection.RemoteIpAddress, answer.Body);
            }
            return answer;
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
                StatusCodes.Status429TooManyRequests =>
                    await ClientFaultAsync(context, log, LogLevel.Warning, AdmissionOutcome.ClientError,
                        AdmissionAnswer.Problem(429, TooManyBodies(e)), TooManyBodies(e)),
                // Kestrel's message is its own fixed text (bad chunk framing, body cut short), never the client's bytes.
                _ => await ClientFaultAsync(context, log, LogLevel.Debug, AdmissionOutcome.ClientError,
                    AdmissionAnswer.Problem(e.StatusCode, "the HTTP request body is broken"), e.Message),
            };
        }
        catch (Exception e) when (e is IOException || e is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            return await ClientFaultAsync(context, log, LogLevel.Debug, AdmissionOutcome.ClientError, null, "the client broke off the request");
        }
    }

    /// <summary>Which of AdmissionBody's two fixed lines a 429 is: the answer never carries an exception's own text.</summary>
    private static string TooManyBodies(BadHttpRequestException e) =>
        e.Message == AdmissionBody.TooManyBodiesFromAddress ? AdmissionBody.TooManyBodiesFromAddress : AdmissionBody.TooManyBodies;

    private static async ValueTask<AdmissionAnswer?> ClientFaultAsync(HttpContext context, ILogger log, LogLevel level, string outcome, AdmissionAnswer? answer, string reason)
    {
        AdmissionMetrics.Record(null, outcome);
        // Any client that reaches the Service can cause this line: it is written synchronously, so not on the socket
        // engine's thread, which every connection waits on. A line the level filters out costs no move.
        if (log.IsEnabled(level))
        {
            await IoScheduling.LeaveSocketThreadAsync();
            log.AdmissionRequestRejected(level, context.Connection.RemoteIpAddress, reason);
        }
        // Whatever is left of the body is not worth reading: close rather than drain it.
        if (answer is not null) context.Response.Headers.Connection = "close";
        return answer;
    }
}
