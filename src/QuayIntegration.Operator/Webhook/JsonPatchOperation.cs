using System.Text.Json;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// One operation of an RFC 6902 JSON patch as the webhook writes them: a string value, a map of strings added whole,
/// or no value (<c>remove</c>). Written straight to a <see cref="Utf8JsonWriter"/>, never built as a tree first.
/// </summary>
public sealed record JsonPatchOperation(string Op, string Path, string? Value = null, IReadOnlyDictionary<string, string>? Map = null)
{
    public static JsonPatchOperation Add(string path, string value) => new("add", path, value);

    public static JsonPatchOperation AddMap(string path, IReadOnlyDictionary<string, string> map) => new("add", path, Map: map);

    public static JsonPatchOperation Replace(string path, string value) => new("replace", path, value);

    public static JsonPatchOperation Remove(string path) => new("remove", path);

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("op", Op);
        writer.WriteString("path", Path);
        if (Map is not null)
        {
            writer.WriteStartObject("value");
            foreach (var (key, value) in Map) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        else if (Value is not null)
        {
            writer.WriteString("value", Value);
        }
        writer.WriteEndObject();
    }

    /// <summary>The patch document, a JSON array of <paramref name="operations"/>.</summary>
    public static void WriteAll(Utf8JsonWriter writer, IReadOnlyList<JsonPatchOperation> operations)
    {
        writer.WriteStartArray();
        foreach (var operation in operations) operation.WriteTo(writer);
        writer.WriteEndArray();
    }
}
