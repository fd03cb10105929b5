using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>A failure that reaches the client as a Kubernetes <c>Status</c> body with the given HTTP code.</summary>
public sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => StatusBuilder.Failure(Code, Reason, Message, Details);
}

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

public static class Errors
{
    public static ApiException NotFound(string qualifiedResource, string name, string group, string plural) =>
        new(404, "NotFound", $"{qualifiedResource} \"{name}\" not found", Details(name, group, plural));

    public static ApiException AlreadyExists(string qualifiedResource, string name, string group, string plural) =>
        new(409, "AlreadyExists", $"{qualifiedResource} \"{name}\" already exists", Details(name, group, plural));

    public static ApiException Conflict(string qualifiedResource, string name, string group, string plural, string why =
        "the object has been modified; please apply your changes to the latest version and try again") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {qualifiedResource} \"{name}\": {why}", Details(name, group, plural));

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);
    public static ApiException Forbidden(string message, JsonObject? details = null) => new(403, "Forbidden", message, details);
    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);
    public static ApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {contentType})");
    public static ApiException Internal(string message) => new(500, "InternalError", message,
        new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = message }) });
    public static ApiException Expired(string message) => new(410, "Expired", message);
    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");
    public static ApiException TooManyRequests() => new(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later",
        new JsonObject { ["retryAfterSeconds"] = 1 });

    /// <summary>422 Invalid: <c>Kind[.group] "name" is invalid: field: msg</c>; details.kind is the Kind, not the plural.</summary>
    public static ApiException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        var qualifiedKind = group.Length == 0 ? kind : $"{kind}.{group}";
        var summary = errors.Count == 1 ? errors[0].Describe() : "[" + string.Join(", ", errors.Select(e => e.Describe())) + "]";
        var causes = new JsonArray();
        foreach (var e in errors)
            causes.Add(new JsonObject { ["reason"] = e.Type, ["message"] = e.Describe().Substring(e.Field.Length + 2), ["field"] = e.Field });
        var details = new JsonObject { ["name"] = name, ["group"] = group, ["kind"] = kind, ["causes"] = causes };
        if (group.Length == 0) details.Remove("group");
        return new ApiException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {summary}", details);
    }

    private static JsonObject Details(string name, string group, string plural)
    {
        var d = new JsonObject { ["name"] = name };
        if (group.Length > 0) d["group"] = group;
        d["kind"] = plural;
        return d;
    }
}

public static class StatusBuilder
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details) => new JsonObject()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details?.DeepClone(),
        ["code"] = code,
    }.WithoutNulls();

    public static JsonObject Success(JsonObject? details = null) => new JsonObject()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = details,
    }.WithoutNulls();

    private static JsonObject WithoutNulls(this JsonObject o)
    {
        foreach (var key in o.Where(p => p.Value is null).Select(p => p.Key).ToList()) o.Remove(key);
        return o;
    }
}
