using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>A parsed resource request: which resource, namespace, name, subresource and verb, plus common options.</summary>
public sealed class RequestContext
{
    public required ApiServerCore Server { get; init; }
    public required HttpContext Http { get; init; }
    public required ResourceType Type { get; init; }
    public string? Namespace { get; init; }
    public string? Name { get; init; }
    public string? Subresource { get; init; }
    /// <summary>Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection.</summary>
    public required string Verb { get; init; }
    public JsonObject UserInfo { get; init; } = new() { ["username"] = "system:admin", ["groups"] = new JsonArray("system:masters", "system:authenticated") };
    /// <summary>The authenticated user (the admin for requests the server makes itself, such as bootstrap objects).</summary>
    public ApiUser User { get; init; } = ApiUser.Admin;
    public List<string> Warnings { get; } = [];

    public string? Query(string key) => Http.Request.Query.TryGetValue(key, out var v) ? v.ToString() : null;

    public bool DryRun => Query("dryRun") is { Length: > 0 } d && (d == "All" ? true : throw Errors.BadRequest($"Invalid dry run value: \"{d}\": supported values: \"All\""));

    /// <summary><c>fieldValidation</c>: Strict rejects unknown fields, Warn (default) reports them, Ignore drops them silently.</summary>
    public string FieldValidation => !ServesFieldValidation ? "Ignore" : Query("fieldValidation") switch
    {
        null or "" => "Warn",
        "Strict" => "Strict",
        "Warn" => "Warn",
        "Ignore" => "Ignore",
        var v => throw Errors.BadRequest($"fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got \"{v}\""),
    };

    /// <summary>
    /// Server-side field validation (the ServerSideFieldValidation feature) is on from Kubernetes 1.25; before, the
    /// parameter is ignored and unknown fields are dropped silently, as this server does when its version says so.
    /// </summary>
    private bool ServesFieldValidation =>
        System.Text.RegularExpressions.Regex.Match(Server.Options.KubernetesVersion, @"^v?(\d+)\.(\d+)") is { Success: true } m
        && (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) is var (major, minor)
        && (major > 1 || minor >= 25);

    /// <summary>
    /// A copy for a write the server makes itself through its privileged loopback client, as openshift-apiserver's build
    /// generator creates Builds and bumps <c>lastVersion</c>: as <c>system:apiserver</c> in system:masters, so webhooks see
    /// that user and admission that judges the user (BuildByStrategy) judges the server, not the requester.
    /// </summary>
    public RequestContext AsApiServer(ResourceType type, string verb, string? ns, string? name, string? subresource = null)
    {
        var user = new ApiUser("system:apiserver", ["system:masters"]) { Uid = Guid.NewGuid().ToString() };
        return new RequestContext
        {
            Server = Server, Http = Http, Type = type, Verb = verb, Namespace = ns, Name = name, Subresource = subresource,
            UserInfo = RequestRouter.UserInfoOf(user), User = user,
        };
    }

    /// <summary>A copy aimed at another resource, used by custom verbs that write through the generic flows (e.g. instantiate).</summary>
    public RequestContext For(ResourceType type, string verb, string? ns, string? name, string? subresource = null) => new()
    {
        Server = Server, Http = Http, Type = type, Verb = verb, Namespace = ns, Name = name, Subresource = subresource, UserInfo = UserInfo, User = User,
    };
}

/// <summary>
/// What a REST operation answers: an HTTP code and a JSON body. A non-JSON <paramref name="ContentType"/> means the body
/// is a base64 string of the binary payload (only the protobuf OpenAPI v2 document uses it).
/// </summary>
public sealed record ApiResult(int Code, JsonNode Body, string ContentType = "application/json")
{
    /// <summary>
    /// A list's items, written as the <c>items</c> of <see cref="Body"/> (a List envelope without them) and never copied
    /// or changed: they may be the stored objects themselves, shared with the store and every other reader. Written
    /// with <c>kind</c> and <c>apiVersion</c> left out when <see cref="ItemsOmitTypeMeta"/>, as the API server does for
    /// the built-in types. Like a watch cache's serialization, this keeps a list of tens of thousands of objects from
    /// costing a deep copy of each.
    /// </summary>
    public IReadOnlyList<JsonObject>? ListItems { get; init; }

    public bool ItemsOmitTypeMeta { get; init; }
}
