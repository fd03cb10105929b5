using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>One field-level problem, rendered like apimachinery's field.Error.</summary>
public sealed record FieldError(string Field, string Type, string Detail, JsonNode? BadValue = null, bool HasBadValue = false, string? RenderedValue = null)
{
    /// <summary>A bad value printed verbatim (Go prints some values unquoted, e.g. <c>0x0</c>).</summary>
    public static FieldError InvalidRendered(string field, string rendered, string detail) => new(field, "FieldValueInvalid", detail, null, true, rendered);
    public static FieldError Required(string field, string detail = "") => new(field, "FieldValueRequired", detail);
    public static FieldError Invalid(string field, JsonNode? value, string detail) => new(field, "FieldValueInvalid", detail, value, true);
    public static FieldError Forbidden(string field, string detail) => new(field, "FieldValueForbidden", detail);
    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<string> supported) =>
        new(field, "FieldValueNotSupported", "supported values: " + string.Join(", ", supported.Select(s => $"\"{s}\"")), value, true);
    public static FieldError Duplicate(string field, JsonNode? value) => new(field, "FieldValueDuplicate", "", value, true);
    public static FieldError TooLong(string field, JsonNode? value, int max) => new(field, "FieldValueTooLong", $"must have at most {max} bytes", value, true);

    /// <summary>The human text apimachinery prints for this error, e.g. <c>spec.x: Required value</c>.</summary>
    public string Describe()
    {
        var label = Type switch
        {
            "FieldValueRequired" => "Required value",
            "FieldValueInvalid" => "Invalid value",
            "FieldValueForbidden" => "Forbidden",
            "FieldValueNotSupported" => "Unsupported value",
            "FieldValueDuplicate" => "Duplicate value",
            "FieldValueTooLong" => "Too long",
            _ => "Invalid value",
        };
        var text = $"{Field}: {label}";
        if (HasBadValue) text += ": " + (RenderedValue ?? RenderValue(BadValue));
        if (!string.IsNullOrEmpty(Detail)) text += ": " + Detail;
        return text;
    }

    private static string RenderValue(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => $"\"{s}\"",
        _ => value.ToJsonString(),
    };
}
