using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>Factories for the Status failures apiserver answers with, worded as Kubernetes words them.</summary>
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
