using System.Globalization;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Cluster.Infrastructure;

/// <summary>Small accessors for API objects handled as JSON (the OpenShift types have no client model).</summary>
public static class JsonNodes
{
    public static JsonNode? At(this JsonNode? node, params string[] path)
    {
        foreach (var segment in path)
        {
            node = node is JsonObject obj ? obj[segment] : null;
        }
        return node;
    }

    public static string? Str(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static bool Bool(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;

    /// <summary>The object at <paramref name="path"/>, creating empty objects where missing (or null).</summary>
    public static JsonObject Ensure(this JsonObject node, params string[] path)
    {
        var current = node;
        foreach (var segment in path)
        {
            if (current[segment] is not JsonObject child)
            {
                child = new JsonObject();
                current[segment] = child;
            }
            current = child;
        }
        return current;
    }

    public static string Name(this JsonObject obj) => obj.Str("metadata", "name") ?? "";
    public static string Namespace(this JsonObject obj) => obj.Str("metadata", "namespace") ?? "";
    public static string? Uid(this JsonObject obj) => obj.Str("metadata", "uid");

    /// <summary>Kubernetes' Time format: RFC 3339, seconds precision, UTC.</summary>
    public static string KubernetesTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
