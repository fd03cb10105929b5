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

    /// <summary>Reads a review; a body that is not one gives the reason instead, for an HTTP 400.</summary>
    public static AdmissionRequest? Parse(string body, out string? error)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            error = "the body is not JSON: " + e.Message;
            return null;
        }
        error = Validate(root);
        if (error is not null) return null;
        var request = root!["request"]!.AsObject();
        return new AdmissionRequest(
            BuildOutputTarget.StringOf(root["apiVersion"])!,
            BuildOutputTarget.StringOf(request["uid"])!,
            BuildOutputTarget.StringOf(request["operation"])!,
            BuildOutputTarget.StringOf(request["resource"]?["group"]),
            BuildOutputTarget.StringOf(request["resource"]?["resource"]),
            BuildOutputTarget.StringOf(request["subResource"]),
            BuildOutputTarget.StringOf(request["namespace"]),
            request["dryRun"] is JsonValue dry && dry.TryGetValue<bool>(out var d) && d,
            request["object"] as JsonObject);
    }

    private static string? Validate(JsonNode? root)
    {
        if (root is not JsonObject review) return "the body is not a JSON object";
        if (BuildOutputTarget.StringOf(review["apiVersion"]) != ReviewApiVersion)
            return $"apiVersion must be {ReviewApiVersion}, got '{review["apiVersion"]}'";
        if (BuildOutputTarget.StringOf(review["kind"]) != ReviewKind) return $"kind must be {ReviewKind}, got '{review["kind"]}'";
        if (review["request"] is not JsonObject request) return "request is missing";
        if (BuildOutputTarget.StringOf(request["uid"]) is not { Length: > 0 }) return "request.uid is missing";
        if (BuildOutputTarget.StringOf(request["operation"]) is not { Length: > 0 }) return "request.operation is missing";
        if (request["object"] is { } obj && obj is not JsonObject) return "request.object is not an object";
        return null;
    }
}

/// <summary>What the webhook answers: allowed (possibly with a patch and warnings) or denied with a message.</summary>
public sealed record AdmissionDecision(bool Allowed, string Outcome, JsonArray? Patch = null, string? Message = null, int Code = 403,
    IReadOnlyList<string>? Warnings = null)
{
    public static AdmissionDecision Untouched(string outcome, params string[] warnings) => new(true, outcome, Warnings: warnings);

    public static AdmissionDecision Patched(JsonArray patch, params string[] warnings) => new(true, "patched", patch, Warnings: warnings);

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
