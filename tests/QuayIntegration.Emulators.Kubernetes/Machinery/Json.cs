using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>Small helpers over System.Text.Json nodes, which is how every object is stored.</summary>
public static class Json
{
    // Relaxed escaping writes `"` as \" (not \u0022), like Go's encoder, so messages read the same on the wire.
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject ParseObject(string text, string what = "body")
    {
        JsonNode? node;
        try { node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }); }
        catch (JsonException e) { throw Errors.BadRequest($"error decoding {what}: {e.Message}"); }
        return node as JsonObject ?? throw Errors.BadRequest($"error decoding {what}: expected a JSON object");
    }

    public static JsonObject Clone(this JsonObject o) => (JsonObject)o.DeepClone();

    public static JsonObject Metadata(this JsonObject o)
    {
        if (o["metadata"] is JsonObject m) return m;
        m = new JsonObject();
        o["metadata"] = m;
        return m;
    }

    public static JsonObject ChildObject(this JsonObject o, string key)
    {
        if (o[key] is JsonObject c) return c;
        c = new JsonObject();
        o[key] = c;
        return c;
    }

    public static string? Str(this JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string? AsString(this JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A number, whether parsed (a JSON element) or set in code (an int, a long).</summary>
    public static long? Long(this JsonNode? node, string key) =>
        node is not JsonObject o || o[key] is not JsonValue v ? null
        : v.TryGetValue<long>(out var l) ? l
        : v.TryGetValue<int>(out var i) ? i
        : v.TryGetValue<double>(out var d) ? (long)d : null;

    public static bool Bool(this JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>Follows a dotted path of object members; null when any step is missing.</summary>
    public static JsonNode? At(this JsonNode? node, params string[] path)
    {
        foreach (var p in path)
        {
            if (node is not JsonObject o) return null;
            node = o[p];
        }
        return node;
    }

    public static Dictionary<string, string> StringMap(this JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o)
            foreach (var (k, v) in o)
                if (v.AsString() is { } s) result[k] = s;
        return result;
    }

    public static List<string> StringList(this JsonNode? node) =>
        node is JsonArray a ? a.Select(x => x.AsString()).Where(x => x is not null).Select(x => x!).ToList() : [];

    public static JsonArray ToJsonArray(this IEnumerable<string> items) => new(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());

    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);

    public static string ToCompactJson(this JsonNode node) => node.ToJsonString(Compact);

    /// <summary>RFC 3339 with seconds precision, as metav1.Time serializes.</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
    public static string Now() => Timestamp(DateTimeOffset.UtcNow);
}
