using System.Text;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Observability;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Operator.Webhook;

/// <summary>An answer to one POST: the AdmissionReview response (200), or a 4xx with a one-line text; <see cref="Utf8"/> is the response body.</summary>
public sealed record AdmissionAnswer(int StatusCode, byte[] Utf8)
{
    public const string ProblemPrefix = "invalid AdmissionReview: ";

    public bool IsReview => StatusCode == 200;

    public string ContentType => IsReview ? "application/json" : "text/plain; charset=utf-8";

    /// <summary>The body as text (for the log and for tests; the response is written from <see cref="Utf8"/>).</summary>
    public string Body => Encoding.UTF8.GetString(Utf8);

    public static AdmissionAnswer Review(byte[] json) => new(200, json);

    public static AdmissionAnswer Problem(int statusCode, string problem) => new(statusCode, Encoding.UTF8.GetBytes(ProblemPrefix + problem));

    public static AdmissionAnswer TooLarge() => Problem(413, $"the body is larger than {AdmissionBody.MaxBytes} bytes");
}

/// <summary>
/// From the bytes of a request body to the answer: strict parsing, the policy's decision, the metric. Nothing here
/// touches HTTP, so the same path is exercised in process (the fuzz test) and behind Kestrel (<see cref="AdmissionEndpoint"/>).
/// </summary>
public sealed class AdmissionReviewer(BuildAdmissionPolicy policy, ILogger<AdmissionReviewer> log)
{
    public async ValueTask<AdmissionAnswer> ReviewAsync(ReadOnlyMemory<byte> body)
    {
        using var request = AdmissionRequest.Parse(body, out var problem);
        if (request is null)
        {
            AdmissionMetrics.Record(null, AdmissionOutcome.Malformed);
            return AdmissionAnswer.Problem(400, problem!);
        }

        AdmissionDecision decision;
        Exception? failure = null;
        try
        {
            decision = await policy.DecideAsync(request);
        }
        catch (Exception e)
        {
            // A bug, not the client's fault: logged in full here, and a denial with a fixed message (never the exception's
            // text) so the API server shows the user something to act on instead of a failed webhook call.
            failure = e;
            decision = AdmissionDecision.Denied(AdmissionOutcome.Error,
                "the Quay integration webhook failed on this request (the operator log has the details); retry, and report it if it persists");
        }
        AdmissionMetrics.Record(request.Operation, decision.Outcome);
        if (!decision.Allowed)
        {
            var operation = AdmissionMetrics.OperationLabel(request.Operation);
            // The console sink writes synchronously: not on the socket engine's thread, which every connection waits on.
            await IoScheduling.LeaveSocketThreadAsync();
            if (failure is not null) log.AdmissionFailed(failure, UserText.Quote(request.Resource), UserText.Quote(request.Namespace));
            // The request's namespace and resource are the caller's text (anything that reaches the Service can send a
            // review): only a short, quoted, single-line form goes to the log, never megabytes or forged lines.
            log.AdmissionDenied(operation, UserText.Quote(request.Resource), UserText.Quote(request.Namespace), decision.Message);
        }
        return AdmissionAnswer.Review(decision.ToReviewJson(request));
    }
}
