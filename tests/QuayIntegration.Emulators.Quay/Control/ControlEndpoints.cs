using System.Text.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Api;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Control;

/// <summary>
/// The emulator's own HTTP API under <c>/_emulator/</c>, for sandboxes and benchmarks that run it in another process.
/// Never counted, never faulted, no auth (it only listens on loopback).
/// </summary>
public static class ControlEndpoints
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.Control, "/_emulator/").Map("GET", request => ApiResponse.Text(200, "text/html; charset=utf-8", StatePage.Render(StateSnapshots.Take(request.Core.Store))));
        routes.Add(RouteArea.Control, "/_emulator/state").Map("GET", request => Serialize(StateSnapshots.Take(request.Core.Store)));
        routes.Add(RouteArea.Control, "/_emulator/calls").Map("GET", request => Serialize(request.Core.Calls.Snapshot())).Map("DELETE", ResetCalls);
        routes.Add(RouteArea.Control, "/_emulator/faults").Map("GET", ListFaults).Map("POST", AddFault).Map("DELETE", ClearFaults);
        routes.Add(RouteArea.Control, "/_emulator/faults/{id}").Map("DELETE", RemoveFault);
        routes.Add(RouteArea.Control, "/_emulator/users").Map("POST", AddUser);
        routes.Add(RouteArea.Control, "/_emulator/tokens").Map("POST", AddToken);
        routes.Add(RouteArea.Control, "/_emulator/settings").Map("GET", GetSettings).Map("PUT", PutSettings);
        routes.Add(RouteArea.Control, "/_emulator/gc").Map("POST", CollectGarbage);
        routes.Add(RouteArea.Control, "/_emulator/ca.pem").Map("GET", request =>
            ApiResponse.Text(200, "application/x-pem-file", request.Core.CaCertificatePem ?? ""));
    }

    private static ApiResponse Serialize<T>(T value) =>
        ApiResponse.Raw(200, "application/json", JsonSerializer.SerializeToUtf8Bytes(value, Json));

    private static T ReadBody<T>(ApiRequest request)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(request.Body, Json) ?? throw QuayErrors.Message(400, "A JSON body is required.");
        }
        catch (JsonException e)
        {
            throw QuayErrors.Message(400, "Invalid JSON body: " + e.Message);
        }
    }

    private static ApiResponse ResetCalls(ApiRequest request)
    {
        request.Core.Calls.Reset();
        return ApiResponse.NoContent();
    }

    private static ApiResponse ListFaults(ApiRequest request) =>
        Serialize(request.Core.Faults.Rules.Select(r => new { r.Id, r.Rule }).ToList());

    private static ApiResponse AddFault(ApiRequest request)
    {
        var rule = ReadBody<FaultRule>(request);
        if (rule.Route is not null && request.Core.Routes.Routes.All(r => r.Template != rule.Route))
            throw QuayErrors.Message(400, $"Unknown route template '{rule.Route}'.");
        return ApiResponse.Json(201, new JsonObject { ["id"] = request.Core.Faults.Add(rule) });
    }

    private static ApiResponse ClearFaults(ApiRequest request)
    {
        request.Core.Faults.Clear();
        return ApiResponse.NoContent();
    }

    private static ApiResponse RemoveFault(ApiRequest request) =>
        int.TryParse(request["id"], out var id) && request.Core.Faults.Remove(id)
            ? ApiResponse.NoContent()
            : throw QuayErrors.Message(404, "No such fault rule.");

    private sealed record UserBody(string Name, bool Superuser = false, string? Email = null);

    private static ApiResponse AddUser(ApiRequest request)
    {
        var body = ReadBody<UserBody>(request);
        var store = request.Core.Store;
        lock (store.Sync)
        {
            try
            {
                store.AddUser(body.Name, body.Superuser, body.Email);
            }
            catch (InvalidOperationException e)
            {
                throw QuayErrors.Message(400, e.Message);
            }
        }
        return ApiResponse.Json(201, new JsonObject { ["name"] = body.Name });
    }

    private sealed record TokenBody(string Username, string Scopes, string? Token = null, DateTimeOffset? ExpiresAt = null);

    private static ApiResponse AddToken(ApiRequest request)
    {
        var body = ReadBody<TokenBody>(request);
        QuayScopes scopes;
        try
        {
            scopes = QuayScopeNames.Parse(body.Scopes);
        }
        catch (FormatException e)
        {
            throw QuayErrors.Message(400, e.Message);
        }
        var token = body.Token ?? QuayStore.NewRobotToken()[..40];
        var store = request.Core.Store;
        lock (store.Sync)
        {
            if (store.FindUser(body.Username) is not { IsRobot: false }) throw QuayErrors.Message(400, $"No user named '{body.Username}'.");
            store.Tokens[token] = new AccessToken(token, body.Username, scopes, body.ExpiresAt);
        }
        return ApiResponse.Json(201, new JsonObject { ["token"] = token });
    }

    private sealed record SettingsBody(double? NamespaceGcDelaySeconds, bool? SuperusersFullAccess, bool? AnonymousAccess, bool? ReadOnly);

    private static ApiResponse GetSettings(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
            return Serialize(new SettingsBody(store.NamespaceGcDelay.TotalSeconds, store.SuperusersFullAccess, store.AnonymousAccess, store.ReadOnly));
    }

    private static ApiResponse PutSettings(ApiRequest request)
    {
        var body = ReadBody<SettingsBody>(request);
        var store = request.Core.Store;
        lock (store.Sync)
        {
            if (body.NamespaceGcDelaySeconds is { } seconds) store.NamespaceGcDelay = TimeSpan.FromSeconds(seconds);
            if (body.SuperusersFullAccess is { } full) store.SuperusersFullAccess = full;
            if (body.AnonymousAccess is { } anonymous) store.AnonymousAccess = anonymous;
            if (body.ReadOnly is { } readOnly) store.ReadOnly = readOnly;
        }
        return GetSettings(request);
    }

    private static ApiResponse CollectGarbage(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync) store.CollectGarbageNow();
        return ApiResponse.NoContent();
    }
}
