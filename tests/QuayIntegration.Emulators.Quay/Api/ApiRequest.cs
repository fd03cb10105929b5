using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Hosting;

namespace QuayIntegration.Emulators.Quay.Api;

/// <summary>One request as a handler sees it: route values, the resolved caller, the buffered body.</summary>
public sealed class ApiRequest(HttpContext http, RouteMatch route, Caller caller, EmulatorCore core, byte[] body)
{
    public HttpContext Http { get; } = http;
    public RouteMatch Route { get; } = route;
    public Caller Caller { get; } = caller;
    public EmulatorCore Core { get; } = core;
    public byte[] Body { get; } = body;

    public string this[string routeValue] => Route.Values[routeValue];

    public string? Query(string name) =>
        Http.Request.Query.TryGetValue(name, out var values) && values.Count > 0 ? values[^1] : null;

    /// <summary>
    /// Quay's <c>truthy_bool</c> query type: anything but false/False/FALSE/0/null/empty is true, so it never fails.
    /// </summary>
    public bool QueryFlag(string name, bool defaultValue)
    {
        var value = Query(name);
        return value is null ? defaultValue : value is not ("false" or "False" or "FALSE" or "0" or "" or "null");
    }

    /// <summary>
    /// An <c>int</c> query parameter; a bad value is flask-restful reqparse's 400 whose message is an object keyed by
    /// the parameter name.
    /// </summary>
    public int? QueryInt(string name)
    {
        var value = Query(name);
        if (value is null) return null;
        if (int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)) return n;
        throw new QuayErrorException(_ => ApiResponse.Json(400, new JsonObject
        {
            ["message"] = new JsonObject { [name] = $"invalid literal for int() with base 10: '{value}'" },
        }));
    }

    private bool HasJsonContentType
    {
        get
        {
            var contentType = Http.Request.ContentType;
            if (contentType is null) return false;
            var mediaType = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
            return mediaType == "application/json" || (mediaType.StartsWith("application/", StringComparison.Ordinal) && mediaType.EndsWith("+json", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// <c>validate_json_request</c> with a required body: no JSON Content-Type is 415 (B), unparseable JSON 400 (B),
    /// a literal <c>null</c> "Missing JSON body" (A), anything but an object a schema failure (A).
    /// </summary>
    public JsonObject RequireJsonObject()
    {
        if (!HasJsonContentType)
            throw QuayErrors.Message(415, "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(Body);
        }
        catch (JsonException e)
        {
            throw QuayErrors.Message(400, "Failed to decode JSON object: " + e.Message);
        }
        return node switch
        {
            null => throw QuayErrors.InvalidRequest("Missing JSON body"),
            JsonObject obj => obj,
            _ => throw Schema.Failure($"{Schema.Repr(node)} is not of type 'object'", "type"),
        };
    }

    /// <summary><c>request.get_json(silent=True)</c>: a missing, non-JSON or malformed body is simply "no body".</summary>
    public JsonObject? OptionalJsonObjectSilently()
    {
        if (Body.Length == 0 || !HasJsonContentType) return null;
        try
        {
            var node = JsonNode.Parse(Body);
            return node switch
            {
                null => null,
                JsonObject obj => obj,
                _ => throw Schema.Failure($"{Schema.Repr(node)} is not of type 'object'", "type"),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
