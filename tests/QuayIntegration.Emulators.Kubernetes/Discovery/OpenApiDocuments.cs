using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Discovery;

/// <summary>
/// OpenAPI v3: the <c>/openapi/v3</c> index and one document per group version. Operations carry
/// <c>x-kubernetes-group-version-kind</c> and the <c>fieldValidation</c> parameter, which is how kubectl decides to let
/// the server validate (<c>--validate=strict</c>); custom resources also publish their structural schema.
/// </summary>
public static class OpenApiDocuments
{
    private const string ObjectMetaRef = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    public static ApiResult? Serve(ApiServerCore server, string[] segments)
    {
        if (segments is ["v3"]) return new ApiResult(200, Index(server));
        if (segments.Length >= 2 && segments[0] == "v3")
        {
            var gvPath = string.Join('/', segments[1..]);
            var doc = Document(server, gvPath);
            return doc is null ? null : new ApiResult(200, doc);
        }
        return null;
    }

    private static IEnumerable<string> GroupVersionPaths(ApiServerCore server) =>
        server.Registry.All.Select(t => t.Group.Length == 0 ? "api/v1" : $"apis/{t.Group}/{t.Version}").Distinct();

    private static JsonObject Index(ApiServerCore server)
    {
        var paths = new JsonObject();
        foreach (var gv in GroupVersionPaths(server))
        {
            var doc = Document(server, gv)!;
            var hash = Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(doc.ToJsonString())));
            paths[gv] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{gv}?hash={hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    private static JsonObject? Document(ApiServerCore server, string gvPath)
    {
        var types = server.Registry.All.Where(t => (t.Group.Length == 0 ? "api/v1" : $"apis/{t.Group}/{t.Version}") == gvPath).ToList();
        if (types.Count == 0) return null;
        var paths = new JsonObject();
        var schemas = new JsonObject { [ObjectMetaRef] = ObjectMetaSchema() };
        foreach (var t in types)
        {
            var prefix = "/" + gvPath + (t.Namespaced ? "/namespaces/{namespace}/" : "/") + t.Plural;
            var gvk = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind };
            var schemaName = SchemaName(t);
            var collection = new JsonObject();
            var item = new JsonObject();
            if (t.Supports("list")) collection["get"] = Operation(t, "list", gvk, schemaName, false);
            if (t.Supports("create")) collection["post"] = Operation(t, "post", gvk, schemaName, true);
            if (t.Supports("get")) item["get"] = Operation(t, "get", gvk, schemaName, false);
            if (t.Supports("update")) item["put"] = Operation(t, "put", gvk, schemaName, true);
            if (t.Supports("patch")) item["patch"] = Operation(t, "patch", gvk, schemaName, true);
            if (t.Supports("delete")) item["delete"] = Operation(t, "delete", gvk, schemaName, false);
            var pathParameters = new JsonArray();
            if (t.Namespaced) pathParameters.Add(PathParameter("namespace"));
            collection["parameters"] = pathParameters.DeepClone();
            if (collection.Count > 1) paths[prefix] = collection;
            pathParameters.Add(PathParameter("name"));
            item["parameters"] = pathParameters;
            if (item.Count > 1) paths[prefix + "/{name}"] = item;

            var schema = t.Strategy.OpenApiSchema()?.DeepClone() as JsonObject ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            schema["properties"] ??= new JsonObject();
            var properties = (JsonObject)schema["properties"]!;
            properties["apiVersion"] = new JsonObject { ["type"] = "string" };
            properties["kind"] = new JsonObject { ["type"] = "string" };
            properties["metadata"] = new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/" + ObjectMetaRef }) };
            schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
            schemas[schemaName] = schema;
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = server.Options.KubernetesVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    /// <summary>Kubernetes' schema names: <c>io.k8s.api.core.v1.Secret</c>, or the reversed group for others (<c>com.redhat.quay.v1.QuayIntegration</c>).</summary>
    private static string SchemaName(ResourceType t)
    {
        if (t.Group.Length == 0) return $"io.k8s.api.core.v1.{t.Kind}";
        if (t.Group.EndsWith(".k8s.io", StringComparison.Ordinal)) return $"io.k8s.api.{t.Group[..^7].Replace(".", "")}.{t.Version}.{t.Kind}";
        return string.Join('.', t.Group.Split('.').Reverse()) + $".{t.Version}.{t.Kind}";
    }

    private static JsonObject Operation(ResourceType t, string action, JsonObject gvk, string schemaName, bool writes)
    {
        var parameters = new JsonArray();
        if (writes || action == "delete") parameters.Add(QueryParameter("dryRun"));
        if (writes)
        {
            parameters.Add(QueryParameter("fieldManager"));
            parameters.Add(QueryParameter("fieldValidation"));
        }
        if (action == "patch") parameters.Add(QueryParameter("force", "boolean"));
        if (action == "list")
            foreach (var p in new[] { "labelSelector", "fieldSelector", "continue", "resourceVersion", "resourceVersionMatch" }) parameters.Add(QueryParameter(p));
        var schemaRef = new JsonObject { ["$ref"] = "#/components/schemas/" + schemaName };
        var op = new JsonObject
        {
            ["operationId"] = action + t.Kind,
            ["parameters"] = parameters,
            ["responses"] = new JsonObject
            {
                ["200"] = new JsonObject
                {
                    ["description"] = "OK",
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = action == "list" ? new JsonObject { ["type"] = "object" } : schemaRef } },
                },
            },
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
        };
        if (writes && action != "patch")
            op["requestBody"] = new JsonObject { ["content"] = new JsonObject { ["*/*"] = new JsonObject { ["schema"] = schemaRef.DeepClone() } } };
        return op;
    }

    private static JsonObject QueryParameter(string name, string type = "string") =>
        new() { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true } };

    private static JsonObject PathParameter(string name) =>
        new() { ["name"] = name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } };

    private static JsonObject ObjectMetaSchema()
    {
        var stringMap = new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "string", ["default"] = "" } };
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["name"] = new JsonObject { ["type"] = "string" },
                ["generateName"] = new JsonObject { ["type"] = "string" },
                ["namespace"] = new JsonObject { ["type"] = "string" },
                ["uid"] = new JsonObject { ["type"] = "string" },
                ["resourceVersion"] = new JsonObject { ["type"] = "string" },
                ["generation"] = new JsonObject { ["type"] = "integer", ["format"] = "int64" },
                ["creationTimestamp"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
                ["deletionTimestamp"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
                ["labels"] = stringMap.DeepClone(),
                ["annotations"] = stringMap.DeepClone(),
                ["finalizers"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                ["ownerReferences"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object" } },
            },
        };
    }
}
