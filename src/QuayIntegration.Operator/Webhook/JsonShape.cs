using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Reads fields of a parsed request with the JSON types the webhook expects and keeps the first mismatch as a one-line
/// problem naming the field, so a body of the wrong shape is a 400 rather than an exception somewhere in the policy.
/// <c>null</c> counts as absent: the API server writes it for unset optional fields (<c>oldObject</c> on a CREATE).
/// </summary>
public sealed class JsonShape
{
    public string? Problem { get; private set; }

    public JsonObject? Object(JsonObject? parent, string field, string path) =>
        Expect(parent, field, path, JsonValueKind.Object, "an object") as JsonObject;

    public string? String(JsonObject? parent, string field, string path) =>
        Expect(parent, field, path, JsonValueKind.String, "a string") is JsonValue value ? value.GetValue<string>() : null;

    public bool? Bool(JsonObject? parent, string field, string path)
    {
        var node = parent?[field];
        if (node is null) return null;
        var kind = node.GetValueKind();
        if (kind is JsonValueKind.True or JsonValueKind.False) return kind == JsonValueKind.True;
        Problem ??= $"{path} must be a boolean";
        return null;
    }

    private JsonNode? Expect(JsonObject? parent, string field, string path, JsonValueKind kind, string what)
    {
        var node = parent?[field];
        if (node is null || node.GetValueKind() == kind) return node;
        Problem ??= $"{path} must be {what}";
        return null;
    }
}
