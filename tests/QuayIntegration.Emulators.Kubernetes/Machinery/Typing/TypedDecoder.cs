using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery.Typing;

/// <summary>Decoding into the Go type failed; <see cref="Exception.Message"/> is the Go error text.</summary>
public sealed class GoDecodeException(string message) : Exception(message);

/// <summary>
/// What decoding a JSON body into a compiled-in Go type checks and changes (sigs.k8s.io/json, a fork of
/// encoding/json, plus the types' own UnmarshalJSON): a value of the wrong JSON type is
/// <c>json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32</c> (the
/// struct is the innermost one, the field path is the JSON names from the root with no map keys or list indices);
/// an integer that does not fit quotes the number (<c>number 1.5</c>); <c>null</c> is always accepted; times are
/// parsed and rewritten in their canonical UTC form (<see cref="GoTime"/>). The object is changed in place.
/// </summary>
public static class TypedDecoder
{
    public static void Decode(JsonObject obj, GoType.Struct type) => Walk(obj, type, [], null);

    private static JsonNode? Walk(JsonNode? node, GoType type, List<string> fields, string? structName)
    {
        if (node is null) return null;
        switch (type)
        {
            case GoType.Unchecked:
                return node;
            case GoType.Struct s:
                if (node is not JsonObject o) throw Mismatch(node, type, fields, structName);
                foreach (var (key, value) in o.ToList())
                {
                    if (!s.Fields.TryGetValue(key, out var fieldType)) continue; // unknown fields are fieldValidation's business
                    var replaced = Walk(value, fieldType, [.. fields, key], s.StructName);
                    if (!ReferenceEquals(replaced, value)) o[key] = replaced;
                }
                return o;
            case GoType.MapOf m:
                if (node is not JsonObject map) throw Mismatch(node, type, fields, structName);
                foreach (var (key, value) in map.ToList())
                {
                    var replaced = Walk(value, m.Value, fields, structName);
                    if (!ReferenceEquals(replaced, value)) map[key] = replaced;
                }
                return map;
            case GoType.SliceOf l:
                if (node is not JsonArray array) throw Mismatch(node, type, fields, structName);
                for (var i = 0; i < array.Count; i++)
                {
                    var replaced = Walk(array[i], l.Item, fields, structName);
                    if (!ReferenceEquals(replaced, array[i])) array[i] = replaced;
                }
                return array;
            case GoType.Timestamp t:
                // Time.UnmarshalJSON decodes a Go string first, outside any struct context.
                if (node is not JsonValue tv || tv.GetValueKind() != JsonValueKind.String)
                    throw new GoDecodeException($"json: cannot unmarshal {JsonKind(node)} into Go value of type string");
                var (normalized, error) = GoTime.Normalize(tv.GetValue<string>(), t.Micro);
                if (error is not null) throw new GoDecodeException(error);
                return JsonValue.Create(normalized);
            case GoType.Bytes:
                if (node is not JsonValue bv || bv.GetValueKind() != JsonValueKind.String) throw Mismatch(node, type, fields, structName);
                var text = bv.GetValue<string>();
                var buffer = new byte[text.Length];
                if (!Convert.TryFromBase64String(text, buffer, out _))
                    throw new GoDecodeException($"illegal base64 data at input byte {FirstBadBase64Byte(text)}");
                return node;
            case GoType.IntOrString:
                if (node is JsonValue iv && iv.GetValueKind() == JsonValueKind.String) return node;
                if (node is JsonValue nv && nv.GetValueKind() == JsonValueKind.Number && FitsInt(nv, int.MinValue, int.MaxValue)) return node;
                throw new GoDecodeException($"json: cannot unmarshal {JsonKind(node, withNumber: true)} into Go value of type int32");
            case GoType.Scalar sc:
                var kind = node is JsonValue v ? v.GetValueKind() : node is JsonArray ? JsonValueKind.Array : JsonValueKind.Object;
                var ok = sc.Kind switch
                {
                    ScalarKind.String => kind == JsonValueKind.String,
                    ScalarKind.Bool => kind is JsonValueKind.True or JsonValueKind.False,
                    ScalarKind.Int32 => kind == JsonValueKind.Number,
                    ScalarKind.Int64 => kind == JsonValueKind.Number,
                    _ => true,
                };
                if (!ok) throw Mismatch(node, type, fields, structName);
                if (sc.Kind is ScalarKind.Int32 && !FitsInt((JsonValue)node, int.MinValue, int.MaxValue)
                    || sc.Kind is ScalarKind.Int64 && !FitsInt((JsonValue)node, long.MinValue, long.MaxValue))
                    throw Mismatch(node, type, fields, structName, withNumber: true);
                return node;
            default:
                return node;
        }
    }

    private static bool FitsInt(JsonValue value, long min, long max) =>
        long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max;

    private static GoDecodeException Mismatch(JsonNode node, GoType type, List<string> fields, string? structName, bool withNumber = false)
    {
        var value = JsonKind(node, withNumber);
        return structName is null || fields.Count == 0
            ? new GoDecodeException($"json: cannot unmarshal {value} into Go value of type {type.Name}")
            : new GoDecodeException($"json: cannot unmarshal {value} into Go struct field {structName}.{string.Join('.', fields)} of type {type.Name}");
    }

    private static string JsonKind(JsonNode node, bool withNumber = false) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => withNumber ? "number " + v.ToJsonString() : "number",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => "null",
        },
        _ => "null",
    };

    private static int FirstBadBase64Byte(string text)
    {
        for (var i = 0; i < text.Length; i++)
            if (!(char.IsAsciiLetterOrDigit(text[i]) || text[i] is '+' or '/' or '=')) return i;
        return text.Length;
    }
}
