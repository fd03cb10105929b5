using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Emulators.Kubernetes.Authorization;

/// <summary>
/// Derives the authorization attributes of an HTTP request from its URL alone, as
/// k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (RequestInfoFactory.NewRequestInfo) does, before anything
/// knows whether the resource exists: that is why a user without rights gets 403, not 404, for a resource type the
/// server does not serve. Notable rules it follows:
/// <list type="bullet">
/// <item>only <c>/api/v1/…</c> and <c>/apis/{group}/{version}/…</c> with a resource segment are resource requests;
/// everything else (<c>/api</c>, <c>/apis/g</c>, <c>/openapi/v3</c>, <c>/version</c>) is non-resource, verb = lower-cased method;</item>
/// <item><c>/api/v1/namespaces/{n}</c> and its <c>status</c>/<c>finalize</c> subresources carry namespace <c>{n}</c>;</item>
/// <item>a GET without a name is <c>list</c>, or <c>watch</c> with <c>watch=true|1</c>; a DELETE without a name is
/// <c>deletecollection</c>;</item>
/// <item>list and watch with a <c>fieldSelector</c> requiring <c>metadata.name=X</c> are authorized with name X, so
/// <c>resourceNames</c> rules can allow single-object watches.</item>
/// </list>
/// </summary>
public static class RequestInfoParser
{
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static AuthorizationAttributes Parse(HttpRequest request, ApiUser user)
    {
        var path = request.Path.Value ?? "/";
        var method = request.Method.ToUpperInvariant();
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var nonResource = new AuthorizationAttributes(user, method.ToLowerInvariant(), false, Path: path);
        if (parts.Length < 3 || parts[0] is not ("api" or "apis")) return nonResource;
        var rest = parts[1..];
        var group = "";
        if (parts[0] == "apis")
        {
            if (rest.Length < 3) return nonResource;
            group = rest[0];
            rest = rest[1..];
        }
        var version = rest[0];
        rest = rest[1..];
        var verb = method switch
        {
            "POST" => "create",
            "GET" or "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        };
        var ns = "";
        if (rest[0] == "namespaces")
        {
            if (rest.Length > 1)
            {
                ns = rest[1];
                if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2])) rest = rest[2..];
            }
        }
        var resource = rest[0];
        var name = rest.Length >= 2 ? rest[1] : "";
        var subresource = rest.Length >= 3 ? rest[2] : "";
        if (name.Length == 0 && verb == "get")
        {
            verb = request.Query["watch"].ToString() is "true" or "1" ? "watch" : "list";
            if (ExactNameFrom(request.Query["fieldSelector"].ToString()) is { } selected) name = selected;
        }
        if (name.Length == 0 && verb == "delete") verb = "deletecollection";
        return new AuthorizationAttributes(user, verb, true, group, version, resource, subresource, ns, name, path);
    }

    /// <summary>The value a field selector pins <c>metadata.name</c> to (fields.Selector.RequiresExactMatch), if it is a valid path segment.</summary>
    private static string? ExactNameFrom(string selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return null;
        foreach (var term in selector.Split(','))
        {
            var clause = term.Trim();
            if (clause.Contains("!=", StringComparison.Ordinal)) continue;
            var at = clause.IndexOf("==", StringComparison.Ordinal) is var i and >= 0 ? (i, 2) : (clause.IndexOf('='), 1);
            if (at.Item1 <= 0 || clause[..at.Item1] != "metadata.name") continue;
            var value = clause[(at.Item1 + at.Item2)..];
            // path.IsValidPathSegmentName: not "." or "..", no "/" or "%".
            return value is "" or "." or ".." || value.Contains('/') || value.Contains('%') ? null : value;
        }
        return null;
    }
}
