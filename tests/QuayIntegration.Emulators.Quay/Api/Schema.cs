using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Quay.Api;

/// <summary>
/// The few JSON-schema checks Quay's request schemas make, with jsonschema's message style as the detail
/// ("'name' is a required property\n\nFailed validating 'required' in schema"). Unknown properties are allowed, as in
/// Quay's schemas (none sets additionalProperties: false).
/// </summary>
public static class Schema
{
    public static QuayErrorException Failure(string message, string validator) =>
        QuayErrors.InvalidRequest($"{message}\n\nFailed validating '{validator}' in schema");

    public static string RequiredString(JsonObject body, string property)
    {
        if (!body.TryGetPropertyValue(property, out var node)) throw Failure($"'{property}' is a required property", "required");
        return AsString(node, property);
    }

    public static string? OptionalString(JsonObject body, string property) =>
        body.TryGetPropertyValue(property, out var node) ? AsString(node, property) : null;

    /// <summary>A property declared <c>["string", "null"]</c>.</summary>
    public static string? OptionalNullableString(JsonObject body, string property) =>
        body.TryGetPropertyValue(property, out var node) && node is not null ? AsString(node, property) : null;

    public static string RequiredEnum(JsonObject body, string property, params string[] allowed)
    {
        var value = RequiredString(body, property);
        return allowed.Contains(value) ? value : throw NotOneOf(value, allowed);
    }

    public static JsonObject RequiredObject(JsonObject body, string property)
    {
        if (!body.TryGetPropertyValue(property, out var node)) throw Failure($"'{property}' is a required property", "required");
        return node as JsonObject ?? throw Failure($"{Repr(node)} is not of type 'object'", "type");
    }

    public static JsonObject? OptionalObject(JsonObject body, string property)
    {
        if (!body.TryGetPropertyValue(property, out var node)) return null;
        return node as JsonObject ?? throw Failure($"{Repr(node)} is not of type 'object'", "type");
    }

    public static void MaxLength(string value, int max)
    {
        if (value.Length > max) throw Failure($"{Repr(JsonValue.Create(value))} is too long", "maxLength");
    }

    public static QuayErrorException NotOneOf(string value, string[] allowed) =>
        Failure($"'{value}' is not one of [{string.Join(", ", allowed.Select(a => $"'{a}'"))}]", "enum");

    private static string AsString(JsonNode? node, string property)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String) return value.GetValue<string>();
        throw Failure($"{Repr(node)} is not of type 'string'", "type");
    }

    /// <summary>Python's repr of a JSON value, as jsonschema prints it.</summary>
    public static string Repr(JsonNode? node) => node switch
    {
        null => "None",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"'{v.GetValue<string>()}'",
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "True",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "False",
        _ => node.ToJsonString(),
    };
}
