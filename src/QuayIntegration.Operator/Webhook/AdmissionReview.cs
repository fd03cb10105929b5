using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayIntegration.Operator.Webhook;

/// <summary>The parts of an admission.k8s.io/v1 AdmissionReview request the webhook reads.</summary>
public sealed record AdmissionRequest(
    string ApiVersion,
    string Uid,
    string Operation,
    string? Group,
    string? Resource,
    string? SubResource,
    string? Namespace,
    bool DryRun,
    JsonObject? Object)
{
    public const string ReviewApiVersion = "admission.k8s.io/v1";
    public const string ReviewKind = "AdmissionReview";

    /// <summary>Reads a review from the raw body; a body that is not one gives the reason instead, for an HTTP 400.</summary>
    public static AdmissionRequest? Parse(ReadOnlySpan<byte> utf8Body, out string? problem)
    {
        var root = StrictJson.Parse(utf8Body, out problem);
        return problem is null ? From(root, out problem) : null;
    }

    /// <summary>
    /// The request in a parsed review. Every field read here, and every Build field the webhook reads later
    /// (<see cref="BuildShape"/>), must have its JSON type; the first that does not is the problem.
    /// </summary>
    public static AdmissionRequest? From(JsonNode? root, out string? problem)
    {
        problem = null;
        if (root is not JsonObject review)
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
        if (problem is null && obj is not null && group == BuildAdmissionPolicy.BuildGroup && resourceName == BuildAdmissionPolicy.BuildResource)
            problem = BuildShape.Problem(obj);
        if (problem is not null) return null;
        return new AdmissionRequest(apiVersion!, uid!, operation!, group, resourceName, subResource, ns, dryRun ?? false, obj);
    }

    private static string? Missing(string? apiVersion, string? kind, JsonObject? request, string? uid, string? operation)
    {
        if (apiVersion != ReviewApiVersion) return $"apiVersion must be {ReviewApiVersion}, got {UserText.Quote(apiVersion)}";
        if (kind != ReviewKind) return $"kind must be {ReviewKind}, got {UserText.Quote(kind)}";
        if (request is null) return "request is missing";
        if (string.IsNullOrEmpty(uid)) return "request.uid is missing";
        if (string.IsNullOrEmpty(operation)) return "request.operation is missing";
        return null;
    }
}

/// <summary>What the webhook answers: allowed (possibly with a patch and warnings) or denied with a message.</summary>
public sealed record AdmissionDecision(bool Allowed, string Outcome, JsonArray? Patch = null, string? Message = null, int Code = 403,
    IReadOnlyList<string>? Warnings = null)
{
    public static AdmissionDecision Untouched(string outcome, params string[] warnings) => new(true, outcome, Warnings: warnings);

    public static AdmissionDecision Patched(JsonArray patch, params string[] warnings) => new(true, AdmissionOutcome.Patched, patch, Warnings: warnings);

    public static AdmissionDecision Denied(string outcome, string message, int code = 403) => new(false, outcome, Message: message, Code: code);

    /// <summary>The AdmissionReview response, echoing the request's apiVersion and uid.</summary>
    public JsonObject ToReview(AdmissionRequest request)
    {
        var response = new JsonObject { ["uid"] = request.Uid, ["allowed"] = Allowed };
        if (Patch is not null)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Patch.ToJsonString()));
        }
        if (!Allowed)
            response["status"] = new JsonObject { ["code"] = Code, ["message"] = Message, ["reason"] = Code == 403 ? "Forbidden" : "BadRequest" };
        if (Warnings is { Count: > 0 }) response["warnings"] = new JsonArray(Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray());
        return new JsonObject { ["apiVersion"] = request.ApiVersion, ["kind"] = AdmissionRequest.ReviewKind, ["response"] = response };
    }
}
