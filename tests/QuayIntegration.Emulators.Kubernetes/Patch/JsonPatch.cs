using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>RFC 6902 JSON Patch with RFC 6901 pointers. Parents must exist; <c>replace</c>/<c>remove</c> need the target.</summary>
public static class JsonPatch
{
    /// <summary>Thrown when an operation does not apply (the caller decides: 422 for clients, 500 for webhook patches).</summary>
    public sealed class PatchFailedException(string message) : Exception(message);

    public static JsonArray ParseOperations(string text)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException e) { throw Errors.BadRequest($"error decoding patch: {e.Message}"); }
        if (node is not JsonArray ops) throw Errors.BadRequest("error decoding patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        foreach (var op in ops)
            if (op is not JsonObject o || o.Str("op") is null || o.Str("path") is null)
                throw Errors.BadRequest("error decoding patch: each operation needs \"op\" and \"path\"");
        return ops;
    }

    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var doc = document.DeepClone();
        foreach (var opNode in operations)
        {
            var op = (JsonObject)opNode!;
            var path = op.Str("path")!;
            switch (op.Str("op"))
            {
                case "add": doc = Add(doc, path, Value(op)); break;
                case "remove": doc = Remove(doc, path, out _); break;
                case "replace":
                    doc = Remove(doc, path, out _);
                    doc = Add(doc, path, Value(op));
                    break;
                case "move":
                {
                    var from = op.Str("from") ?? throw new PatchFailedException("missing from");
                    doc = Remove(doc, from, out var moved);
                    doc = Add(doc, path, moved);
                    break;
                }
                case "copy":
                {
                    var from = op.Str("from") ?? throw new PatchFailedException("missing from");
                    doc = Add(doc, path, Get(doc, from)?.DeepClone());
                    break;
                }
                case "test":
                    if (!Json.DeepEquals(Get(doc, path), op["value"])) throw new PatchFailedException($"testing value {path} failed: test failed");
                    break;
                default:
                    throw Errors.BadRequest($"Unexpected kind: {op.Str("op")}");
            }
        }
        return doc;
    }

    private static JsonNode? Value(JsonObject op) =>
        op.ContainsKey("value") ? op["value"]?.DeepClone() : throw new PatchFailedException("missing value");

    private static List<string> Tokens(string pointer)
    {
        if (pointer.Length == 0) return [];
        if (pointer[0] != '/') throw new PatchFailedException($"invalid JSON pointer: {pointer}");
        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToList();
    }

    private static JsonNode? Get(JsonNode? doc, string pointer)
    {
        var node = doc;
        foreach (var t in Tokens(pointer))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(t, out var child) => child,
                JsonArray a when int.TryParse(t, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new PatchFailedException($"doc is missing path: \"{pointer}\": missing value"),
            };
        }
        return node;
    }

    private static JsonNode Add(JsonNode doc, string pointer, JsonNode? value)
    {
        var tokens = Tokens(pointer);
        if (tokens.Count == 0) return value ?? throw new PatchFailedException("cannot replace the document with null");
        var parent = Get(doc, ParentPointer(tokens));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                if (last == "-") a.Add(value);
                else if (int.TryParse(last, out var i) && i >= 0 && i <= a.Count) a.Insert(i, value);
                else throw new PatchFailedException($"Unable to access invalid index: {last}");
                break;
            default:
                throw new PatchFailedException($"doc is missing path: \"{pointer}\": missing value");
        }
        return doc;
    }

    private static JsonNode Remove(JsonNode doc, string pointer, out JsonNode? removed)
    {
        var tokens = Tokens(pointer);
        if (tokens.Count == 0) throw new PatchFailedException("cannot remove the document root");
        var parent = Get(doc, ParentPointer(tokens));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var child):
                removed = child;
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw new PatchFailedException($"doc is missing path: \"{pointer}\": missing value");
        }
        removed = removed?.DeepClone();
        return doc;
    }

    // The parent of "/a" is the whole document, whose pointer is "" (RFC 6901); "/" would name the key "".
    private static string ParentPointer(List<string> tokens) =>
        tokens.Count == 1 ? "" : "/" + string.Join('/', tokens[..^1].Select(Escape));

    public static string Escape(string token) => token.Replace("~", "~0").Replace("/", "~1");
}
