using System.Text.Json;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// The parts of an admission.k8s.io/v1 AdmissionReview request the webhook reads. <see cref="Object"/> is read in place
/// from the parsed body, which this request owns: it is valid until the request is disposed.
/// </summary>
public sealed record AdmissionRequest(
    string ApiVersion,
    string Uid,
    string Operation,
    string? Group,
    string? Resource,
    string? SubResource,
    string? Namespace,
    bool DryRun,
    JsonElement? Object) : IDisposable
{
    public const string ReviewApiVersion = "admission.k8s.io/v1";
    public const string ReviewKind = "AdmissionReview";
    public const int MaxUidLength = 128;

    /// <summary>The parsed body <see cref="Object"/> is read from.</summary>
    private JsonDocument? Document { get; init; }

    /// <summary>
    /// Reads a review from the raw body (kept unchanged while the request lives); a body that is not one gives the
    /// reason instead, for an HTTP 400. Every field read here, and every Build field the webhook reads later
    /// (<see cref="BuildShape"/>), must have its JSON type; the first that does not is the problem.
    /// </summary>
    public static AdmissionRequest? Parse(ReadOnlyMemory<byte> utf8Body, out string? problem)
    {
        var document = StrictJson.Parse(utf8Body, out problem);
        if (document is null) return null;
        var request = From(document, out problem);
        if (request is null) document.Dispose();
        return request;
    }

    private static AdmissionRequest? From(JsonDocument document, out string? problem)
    {
        var review = document.RootElement;
        if (review.ValueKind != JsonValueKind.Object)
        {
            problem = "the body is not a JSON object";
            return null;
        }
        var shape = new JsonShape();
        var apiVersion = shape.String(review, "apiVersion", "apiVersion");
        var kind = shape.String(review, "kind", "kind");
        var request = shape.Object(review, "request", "request");
        var uid = shape.String(request, "uid", "request.uid");
        var operation = shape.String(request, "operation", "request.operation");
        var resource = shape.Object(request, "resource", "request.resource");
        var group = shape.String(resource, "group", "request.resource.group");
        var resourceName = shape.String(resource, "resource", "request.resource.resource");
        var subResource = shape.String(request, "subResource", "request.subResource");
        var ns = shape.String(request, "namespace", "request.namespace");
        var dryRun = shape.Bool(request, "dryRun", "request.dryRun");
        var obj = shape.Object(request, "object", "request.object");
        problem = shape.Problem ?? Missing(apiVersion, kind, request, uid, operation);
        if (problem is null && obj is { } build && group == BuildAdmissionPolicy.BuildGroup && resourceName == BuildAdmissionPolicy.BuildResource)
            problem = BuildShape.Problem(build);
        if (problem is not null) return null;
        return new AdmissionRequest(apiVersion!, uid!, operation!, group, resourceName, subResource, ns, dryRun ?? false, obj) { Document = document };
    }

    private static string? Missing(string? apiVersion, string? kind, JsonElement? request, string? uid, string? operation)
    {
        if (apiVersion != ReviewApiVersion) return $"apiVersion must be {ReviewApiVersion}, got {UserText.Quote(apiVersion)}";
        if (kind != ReviewKind) return $"kind must be {ReviewKind}, got {UserText.Quote(kind)}";
        if (request is null) return "request is missing";
        if (string.IsNullOrEmpty(uid)) return "request.uid is missing";
        // Echoed in the answer: the API server sends a UUID (36 characters); anything far longer is not a review.
        if (uid.Length > MaxUidLength) return $"request.uid is longer than {MaxUidLength} characters";
        if (string.IsNullOrEmpty(operation)) return "request.operation is missing";
        return null;
    }

    /// <summary>Gives the parsed body's index back to the pool; <see cref="Object"/> is unreadable after this.</summary>
    public void Dispose() => Document?.Dispose();
}

/// <summary>What the webhook answers: allowed (possibly with a patch and warnings) or denied with a message.</summary>
public sealed record AdmissionDecision(bool Allowed, string Outcome, IReadOnlyList<JsonPatchOperation>? Patch = null, string? Message = null,
    int Code = 403, IReadOnlyList<string>? Warnings = null)
{
    public static AdmissionDecision Untouched(string outcome, params string[] warnings) => new(true, outcome, Warnings: warnings);

    public static AdmissionDecision Patched(IReadOnlyList<JsonPatchOperation> patch, params string[] warnings) =>
        new(true, AdmissionOutcome.Patched, patch, Warnings: warnings);

    public static AdmissionDecision Denied(string outcome, string message, int code = 403) => new(false, outcome, Message: message, Code: code);

    /// <summary>
    /// The AdmissionReview response, echoing the request's apiVersion and uid, as UTF-8 JSON: the bytes the response
    /// carries, copied once out of this thread's buffers, never turned into a string and back.
    /// </summary>
    public byte[] ToReviewJson(AdmissionRequest request)
    {
        var buffers = AnswerBuffers.ForThisThread();
        var writer = buffers.AnswerWriter();
        writer.WriteStartObject();
        writer.WriteString("apiVersion", request.ApiVersion);
        writer.WriteString("kind", AdmissionRequest.ReviewKind);
        writer.WriteStartObject("response");
        writer.WriteString("uid", request.Uid);
        writer.WriteBoolean("allowed", Allowed);
        if (Patch is not null)
        {
            writer.WriteString("patchType", "JSONPatch");
            writer.WriteBase64String("patch", buffers.Write(Patch));
        }
        if (!Allowed)
        {
            writer.WriteStartObject("status");
            writer.WriteNumber("code", Code);
            writer.WriteString("message", Message);
            writer.WriteString("reason", Code == 403 ? "Forbidden" : "BadRequest");
            writer.WriteEndObject();
        }
        if (Warnings is { Count: > 0 })
        {
            writer.WriteStartArray("warnings");
            foreach (var warning in Warnings) writer.WriteStringValue(warning);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        var json = buffers.Answer.WrittenSpan.ToArray();
        buffers.Release();
        return json;
    }
}
