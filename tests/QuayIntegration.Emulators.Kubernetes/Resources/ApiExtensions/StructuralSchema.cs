using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Resources.ApiExtensions;

/// <summary>
/// A CRD's <c>openAPIV3Schema</c> applied the way apiextensions-apiserver does: prune unknown fields (unless
/// <c>x-kubernetes-preserve-unknown-fields</c>), apply <c>default</c>s, then validate type, required, enum, pattern,
/// lengths, bounds, items and list-map keys. <c>metadata</c> is left to the generic object-meta rules.
/// </summary>
public sealed class StructuralSchema(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public void Prune(JsonObject obj, List<string> unknown)
    {
        if (Root["properties"] is not JsonObject props) return;
        foreach (var key in obj.Select(p => p.Key).ToList())
        {
            if (key is "apiVersion" or "kind" or "metadata") continue;
            if (props[key] is JsonObject child) PruneNode(obj[key], child, key, unknown);
            else if (!Root.Bool("x-kubernetes-preserve-unknown-fields")) { unknown.Add(key); obj.Remove(key); }
        }
    }

    private static void PruneNode(JsonNode? node, JsonObject schema, string path, List<string> unknown)
    {
        if (schema.Bool("x-kubernetes-preserve-unknown-fields")) return;
        switch (node)
        {
            case JsonObject o when schema["properties"] is JsonObject props:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (props[key] is JsonObject child) PruneNode(o[key], child, path + "." + key, unknown);
                    else { unknown.Add(path + "." + key); o.Remove(key); }
                }
                break;
            case JsonObject o when schema["additionalProperties"] is JsonObject additional:
                foreach (var (key, value) in o.ToList()) PruneNode(value, additional, path + "." + key, unknown);
                break;
            case JsonArray a when schema["items"] is JsonObject items:
                for (var i = 0; i < a.Count; i++) PruneNode(a[i], items, $"{path}[{i}]", unknown);
                break;
        }
    }

    /// <summary>The lists server-side apply merges: <c>x-kubernetes-list-type: map</c> (by its first map key) and <c>set</c>.</summary>
    public Patch.StrategicMergeSchema ListSchema()
    {
        var lists = new List<(string, string?)>();
        Collect(Root, "");
        return Patch.StrategicMergeSchema.Common.With([.. lists]);

        void Collect(JsonObject schema, string path)
        {
            if (schema["properties"] is JsonObject props)
                foreach (var (key, child) in props)
                    if (child is JsonObject childSchema) Collect(childSchema, path.Length == 0 ? key : $"{path}.{key}");
            if (schema["items"] is JsonObject items)
            {
                switch (schema.Str("x-kubernetes-list-type"))
                {
                    case "map" when schema["x-kubernetes-list-map-keys"] is JsonArray keys && keys.Count > 0:
                        lists.Add((path, keys.StringList()[0]));
                        break;
                    case "set":
                        lists.Add((path, null));
                        break;
                }
                Collect(items, path);
            }
        }
    }

    public void ApplyDefaults(JsonObject obj)
    {
        if (Root["properties"] is not JsonObject props) return;
        foreach (var (key, child) in props)
        {
            if (key is "apiVersion" or "kind" or "metadata" || child is not JsonObject childSchema) continue;
            if (obj[key] is null && childSchema["default"] is { } d) obj[key] = d.DeepClone();
            DefaultNode(obj[key], childSchema);
        }
    }

    private static void DefaultNode(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject o when schema["properties"] is JsonObject props:
                foreach (var (key, child) in props)
                {
                    if (child is not JsonObject childSchema) continue;
                    if (!o.ContainsKey(key) && childSchema["default"] is { } d) o[key] = d.DeepClone();
                    DefaultNode(o[key], childSchema);
                }
                break;
            case JsonArray a when schema["items"] is JsonObject items:
                foreach (var item in a) DefaultNode(item, items);
                break;
        }
    }

    public void Validate(JsonObject obj, List<FieldError> errors)
    {
        if (Root["properties"] is not JsonObject props) return;
        foreach (var key in Root["required"].StringList())
            if (obj[key] is null) errors.Add(FieldError.Required(key));
        foreach (var (key, child) in props)
            if (key is not ("apiVersion" or "kind" or "metadata") && child is JsonObject childSchema && obj.ContainsKey(key))
                ValidateNode(obj[key], childSchema, key, errors);
    }

    private static void ValidateNode(JsonNode? node, JsonObject schema, string path, List<FieldError> errors)
    {
        if (node is null)
        {
            if (!schema.Bool("nullable")) errors.Add(FieldError.Invalid(path, null, $"{path} in body must be of type {schema.Str("type") ?? "object"}: \"null\""));
            return;
        }
        var type = schema.Str("type");
        if (type is not null && !IsType(node, type))
        {
            errors.Add(FieldError.Invalid(path, node.DeepClone(), $"{path} in body must be of type {type}: \"{JsonTypeName(node)}\""));
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => Json.DeepEquals(a, node)))
            errors.Add(FieldError.NotSupported(path, node.DeepClone(), allowed.Select(a => a.AsString() ?? a?.ToJsonString() ?? "null")));
        switch (node)
        {
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (schema.Long("minLength") is { } min && s.Length < min)
                    errors.Add(FieldError.Invalid(path, node.DeepClone(), $"{path} in body should be at least {min} chars long"));
                if (schema.Long("maxLength") is { } max && s.Length > max)
                    errors.Add(new FieldError(path, "FieldValueTooLong", $"may not be more than {max} bytes", node.DeepClone(), true));
                if (schema.Str("pattern") is { } pattern && !Regex.IsMatch(s, pattern))
                    errors.Add(FieldError.Invalid(path, node.DeepClone(), $"{path} in body should match '{pattern}'"));
                if (schema.Str("format") == "date-time" && !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _))
                    errors.Add(FieldError.Invalid(path, node.DeepClone(), $"{path} in body must be of type date-time: \"{s}\""));
                break;
            case JsonValue v when v.TryGetValue<double>(out var n):
                if (schema["minimum"] is JsonValue mv && mv.TryGetValue<double>(out var minimum) && n < minimum)
                    errors.Add(FieldError.Invalid(path, node.DeepClone(), $"{path} in body should be greater than or equal to {minimum}"));
                if (schema["maximum"] is JsonValue xv && xv.TryGetValue<double>(out var maximum) && n > maximum)
                    errors.Add(FieldError.Invalid(path, node.DeepClone(), $"{path} in body should be less than or equal to {maximum}"));
                break;
            case JsonObject o:
                foreach (var key in schema["required"].StringList())
                    if (o[key] is null) errors.Add(FieldError.Required($"{path}.{key}"));
                if (schema["properties"] is JsonObject props)
                    foreach (var (key, child) in props)
                        if (child is JsonObject childSchema && o.ContainsKey(key)) ValidateNode(o[key], childSchema, $"{path}.{key}", errors);
                if (schema["additionalProperties"] is JsonObject additional)
                    foreach (var (key, value) in o) ValidateNode(value, additional, $"{path}.{key}", errors);
                break;
            case JsonArray a:
                if (schema.Long("maxItems") is { } maxItems && a.Count > maxItems)
                    errors.Add(new FieldError(path, "FieldValueTooMany", $"must have at most {maxItems} items", null));
                if (schema["items"] is JsonObject items)
                    for (var i = 0; i < a.Count; i++) ValidateNode(a[i], items, $"{path}[{i}]", errors);
                if (schema.Str("x-kubernetes-list-type") == "map" && schema["x-kubernetes-list-map-keys"] is JsonArray mapKeys)
                {
                    var seen = new HashSet<string>();
                    for (var i = 0; i < a.Count; i++)
                    {
                        var key = string.Join("\u0000", mapKeys.StringList().Select(k => a[i]?[k]?.ToJsonString() ?? "null"));
                        if (!seen.Add(key)) errors.Add(FieldError.Duplicate($"{path}[{i}]", a[i]?.DeepClone()));
                    }
                }
                break;
        }
    }

    private static bool IsType(JsonNode node, string type) => type switch
    {
        "object" => node is JsonObject,
        "array" => node is JsonArray,
        "string" => node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String,
        "boolean" => node is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
        "integer" => node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && v.TryGetValue<double>(out var d) && Math.Floor(d) == d,
        "number" => node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number,
        _ => true,
    };

    private static string JsonTypeName(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => "string",
            System.Text.Json.JsonValueKind.Number => "number",
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "null",
    };
}
