using System.Text.Json;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Reads fields of a parsed request with the JSON types the webhook expects and keeps the first mismatch as a one-line
/// problem naming the field, so a body of the wrong shape is a 400 rather than an exception somewhere in the policy.
/// <c>null</c> counts as absent: the API server writes it for unset optional fields (<c>oldObject</c> on a CREATE).
/// </summary>
public sealed class JsonShape
{
    public string? Problem { get; private set; }

    public JsonElement? Object(JsonElement? parent, string field, string path) =>
        Expect(parent, field, path, JsonValueKind.Object, "an object");

    public string? String(JsonElement? parent, string field, string path) =>
        Expect(parent, field, path, JsonValueKind.String, "a string")?.GetString();

    /// <summary>Checks that the field, if present, is a string, without decoding it.</summary>
    public void ExpectString(JsonElement? parent, string field, string path) =>
        Expect(parent, field, path, JsonValueKind.String, "a string");

    public bool? Bool(JsonElement? parent, string field, string path)
    {
        if (parent?.Member(field) is not { } node) return null;
        if (node.ValueKind is JsonValueKind.True or JsonValueKind.False) return node.ValueKind == JsonValueKind.True;
        Problem ??= $"{path} must be a boolean";
        return null;
    }

    private JsonElement? Expect(JsonElement? parent, string field, string path, JsonValueKind kind, string what)
    {
        var node = parent?.Member(field);
        if (node is not { } value || value.ValueKind == kind) return node;
        Problem ??= $"{path} must be {what}";
        return null;
    }
}
