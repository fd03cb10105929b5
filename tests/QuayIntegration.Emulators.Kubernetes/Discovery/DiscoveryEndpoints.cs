using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Discovery;

/// <summary>
/// <c>/version</c>, health and the legacy (unaggregated) discovery documents. Clients asking for aggregated discovery
/// get plain <c>application/json</c>, which makes kubectl and client-go fall back to per-group-version requests.
/// </summary>
public static class DiscoveryEndpoints
{
    public static Task<ApiResult?> TryServeAsync(ApiServerCore server, HttpContext http, string path)
    {
        if (http.Request.Method != "GET") return Task.FromResult<ApiResult?>(null);
        var trimmed = "/" + path.Trim('/');
        var segments = trimmed.Split('/', StringSplitOptions.RemoveEmptyEntries);
        ApiResult? result = trimmed switch
        {
            "/version" => new(200, Version(server.Options.KubernetesVersion)),
            "/healthz" or "/livez" or "/readyz" => new(200, JsonValue.Create("ok")),
            "/api" => new(200, ApiVersions(http)),
            "/apis" => new(200, GroupList(server)),
            "/api/v1" => new(200, ResourceList(server, "", "v1")),
            _ when segments is ["apis", var g] => Group(server, g) is { } group ? new(200, group) : null,
            _ when segments is ["apis", var g, var v] && server.Registry.All.Any(t => t.Group == g && t.Version == v) => new(200, ResourceList(server, g, v)),
            "/openapi/v2" => http.Request.Headers.Accept.ToString().Contains("protobuf", StringComparison.Ordinal)
                ? new(200, JsonValue.Create(Convert.ToBase64String(OpenApiV2Document.Protobuf(server.Options.KubernetesVersion))), "application/octet-stream")
                : new(200, OpenApiV2Document.Json(server.Options.KubernetesVersion)),
            _ when segments is ["openapi", ..] => OpenApiDocuments.Serve(server, segments[1..]),
            _ => null,
        };
        return Task.FromResult(result);
    }

    private static JsonObject Version(string gitVersion)
    {
        var parts = gitVersion.TrimStart('v').Split('.');
        return new JsonObject
        {
            ["major"] = parts[0],
            ["minor"] = parts.Length > 1 ? parts[1] : "0",
            ["gitVersion"] = gitVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2024-01-01T00:00:00Z",
            ["goVersion"] = "go1.22.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    private static JsonObject ApiVersions(HttpContext http) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = http.Request.Host.Value }),
    };

    private static JsonObject GroupList(ApiServerCore server)
    {
        var groups = new JsonArray();
        foreach (var group in server.Registry.Groups()) groups.Add(GroupBody(group.Key, group.Select(t => t.Version).Distinct().ToList()));
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private static JsonObject? Group(ApiServerCore server, string name)
    {
        var versions = server.Registry.All.Where(t => t.Group == name).Select(t => t.Version).Distinct().ToList();
        if (versions.Count == 0) return null;
        var body = GroupBody(name, versions);
        body["kind"] = "APIGroup";
        body["apiVersion"] = "v1";
        return body;
    }

    private static JsonObject GroupBody(string name, List<string> versions)
    {
        var list = new JsonArray();
        foreach (var v in versions) list.Add(new JsonObject { ["groupVersion"] = $"{name}/{v}", ["version"] = v });
        return new JsonObject
        {
            ["name"] = name,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{name}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    private static JsonObject ResourceList(ApiServerCore server, string group, string version)
    {
        var resources = new JsonArray();
        foreach (var t in server.Registry.All.Where(t => t.Group == group && t.Version == version))
        {
            var entry = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = t.Verbs.ToJsonArray(),
            };
            if (t.ShortNames.Count > 0) entry["shortNames"] = t.ShortNames.ToJsonArray();
            if (t.Categories.Count > 0) entry["categories"] = t.Categories.ToJsonArray();
            resources.Add(entry);
            foreach (var s in t.Subresources)
            {
                var sub = new JsonObject
                {
                    ["name"] = $"{t.Plural}/{s.Name}",
                    ["singularName"] = "",
                    ["namespaced"] = t.Namespaced,
                    ["kind"] = s.Kind,
                    ["verbs"] = s.Verbs.ToJsonArray(),
                };
                if (s.Group is not null) sub["group"] = s.Group;
                if (s.Version is not null) sub["version"] = s.Version;
                resources.Add(sub);
            }
        }
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}", ["resources"] = resources };
    }
}
