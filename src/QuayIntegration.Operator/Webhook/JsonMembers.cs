using System.Text.Json;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Reading a parsed request by member name without building a tree of it: <c>null</c> and absent are the same (the API
/// server writes <c>null</c> for unset optional fields), and a member of another JSON type than the one asked for is
/// absent too. Types are checked once, up front (<see cref="JsonShape"/>), so these only ever see what they expect.
/// </summary>
public static class JsonMembers
{
    /// <summary>The member <paramref name="name"/> of <paramref name="element"/> when both are JSON objects.</summary>
    public static JsonElement? Object(this JsonElement element, string name) =>
        element.Member(name) is { ValueKind: JsonValueKind.Object } member ? member : null;

    /// <summary>The member <paramref name="name"/> of <paramref name="element"/> when it is a JSON string.</summary>
    public static string? String(this JsonElement element, string name) =>
        element.Member(name) is { ValueKind: JsonValueKind.String } member ? member.GetString() : null;

    /// <summary>Whether <paramref name="element"/> has the member at all, even as <c>null</c>: what a JSON patch's <c>replace</c> and <c>remove</c> need.</summary>
    public static bool Has(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out _);

    /// <summary>The member, of any type but <c>null</c>; nothing when <paramref name="element"/> is not an object.</summary>
    public static JsonElement? Member(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var member) && member.ValueKind != JsonValueKind.Null
            ? member
            : null;
}
