using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Authorization;

/// <summary>
/// The 403 a refused request gets, worded as k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
/// (Forbidden, forbiddenMessage) and k8s.io/apimachinery/pkg/api/errors.NewForbidden word it:
/// <c>secrets "x" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "ns"</c>,
/// <c>… at the cluster scope</c> without a namespace, <c>forbidden: User "u" cannot get path "/apis"</c> for
/// non-resource URLs, and <c>: &lt;reason&gt;</c> appended when the authorizer gave one. details carries the group, the
/// resource (as <c>kind</c>) and the name.
/// </summary>
public static class ForbiddenError
{
    public static ApiException For(AuthorizationAttributes request, string reason)
    {
        var message = Message(request);
        if (reason.Length > 0) message += ": " + reason;
        var details = new JsonObject();
        if (request.IsResourceRequest)
        {
            if (request.Name.Length > 0) details["name"] = request.Name;
            if (request.ApiGroup.Length > 0) details["group"] = request.ApiGroup;
            if (request.Resource.Length > 0) details["kind"] = request.Resource;
        }
        string prefix;
        if (!request.IsResourceRequest || request.Resource.Length == 0) prefix = "forbidden";
        else
        {
            var qualified = request.ApiGroup.Length == 0 ? request.Resource : $"{request.Resource}.{request.ApiGroup}";
            prefix = request.Name.Length == 0 ? $"{qualified} is forbidden" : $"{qualified} \"{request.Name}\" is forbidden";
        }
        return Errors.Forbidden($"{prefix}: {message}", details);
    }

    private static string Message(AuthorizationAttributes request)
    {
        var user = request.User.Username;
        if (!request.IsResourceRequest) return $"User \"{user}\" cannot {request.Verb} path \"{request.Path}\"";
        var scope = request.Namespace.Length > 0 ? $"in the namespace \"{request.Namespace}\"" : "at the cluster scope";
        return $"User \"{user}\" cannot {request.Verb} resource \"{request.ResourcePath}\" in API group \"{request.ApiGroup}\" {scope}";
    }
}
