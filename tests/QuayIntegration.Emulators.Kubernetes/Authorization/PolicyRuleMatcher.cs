using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Authorization;

/// <summary>
/// Whether one rbac.authorization.k8s.io/v1 PolicyRule allows a request: plugin/pkg/auth/authorizer/rbac/rbac.go
/// (RuleAllows) with the helpers of pkg/apis/rbac/v1/evaluation_helpers.go.
/// <list type="bullet">
/// <item>verbs: <c>*</c> or the exact verb (<c>list</c> does not imply <c>watch</c>, <c>update</c> does not imply <c>patch</c>);</item>
/// <item>apiGroups: <c>*</c> or the exact group (<c>""</c> is core);</item>
/// <item>resources: <c>*</c>, the exact <c>resource</c> or <c>resource/subresource</c>, or <c>*/subresource</c> (a
/// subresource request is never allowed by a rule naming only the resource, and <c>resource/*</c> is no wildcard:
/// ResourceMatches knows only <c>*</c> and <c>*/subresource</c>; it is the admission webhooks' rules that take it);</item>
/// <item>resourceNames: empty allows every name; otherwise the request's name must be listed (a request without a
/// name — create, list without a name selector — never matches a rule with resourceNames);</item>
/// <item>nonResourceURLs: <c>*</c>, the exact path, or a prefix ending in <c>*</c>.</item>
/// </list>
/// </summary>
public static class PolicyRuleMatcher
{
    public static bool Allows(AuthorizationAttributes request, JsonObject rule)
    {
        var verbs = rule["verbs"].StringList();
        if (!verbs.Contains("*") && !verbs.Contains(request.Verb)) return false;
        if (!request.IsResourceRequest) return NonResourceUrlMatches(rule["nonResourceURLs"].StringList(), request.Path);
        return ApiGroupMatches(rule["apiGroups"].StringList(), request.ApiGroup)
               && ResourceMatches(rule["resources"].StringList(), request.Resource, request.Subresource)
               && ResourceNameMatches(rule["resourceNames"].StringList(), request.Name);
    }

    private static bool ApiGroupMatches(List<string> groups, string group) => groups.Contains("*") || groups.Contains(group);

    private static bool ResourceMatches(List<string> resources, string resource, string subresource)
    {
        var combined = subresource.Length == 0 ? resource : $"{resource}/{subresource}";
        foreach (var rule in resources)
        {
            if (rule == "*" || rule == combined) return true;
            if (subresource.Length == 0) continue;
            if (rule == "*/" + subresource) return true;
        }
        return false;
    }

    private static bool ResourceNameMatches(List<string> names, string name) => names.Count == 0 || names.Contains(name);

    private static bool NonResourceUrlMatches(List<string> urls, string path)
    {
        foreach (var url in urls)
        {
            if (url == "*" || url == path) return true;
            if (url.EndsWith('*') && path.StartsWith(url.TrimEnd('*'), StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
