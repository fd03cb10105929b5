using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Api;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>Docker Registry v2 error bodies: <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
public static class RegistryErrors
{
    public static ApiResponse Body(int status, string code, string message) =>
        ApiResponse.Json(status, new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message, ["detail"] = new JsonObject() }),
        });

    public static QuayErrorException Error(int status, string code, string message) => new(_ => Body(status, code, message));

    /// <summary>
    /// 401 with the challenge that tells the client where to get a token, and for which scope: every v2 401 carries it
    /// (endpoints/v2/__init__.py handle_registry_v2_exception, get_auth_headers).
    /// </summary>
    public static QuayErrorException Unauthorized(string realm, string service, string? scope,
        string message = "access to the requested resource is not authorized") => new(_ =>
    {
        var challenge = $"Bearer realm=\"{realm}\",service=\"{service}\"" + (scope is null ? "" : $",scope=\"{scope}\"");
        return Body(401, "UNAUTHORIZED", message)
            .WithHeader("WWW-Authenticate", challenge)
            .WithHeader("Docker-Distribution-API-Version", "registry/2.0");
    });
}
