using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Emulators.Kubernetes.Authorization;

/// <summary>
/// What an authorizer decides on (k8s.io/apiserver/pkg/authorization/authorizer.AttributesRecord): the user, and either
/// a resource request (verb, API group, version, resource, subresource, namespace, name) or a non-resource request
/// (lower-cased HTTP method and path).
/// </summary>
public sealed record AuthorizationAttributes(
    ApiUser User,
    string Verb,
    bool IsResourceRequest,
    string ApiGroup = "",
    string ApiVersion = "",
    string Resource = "",
    string Subresource = "",
    string Namespace = "",
    string Name = "",
    string Path = "")
{
    /// <summary><c>resource</c> or <c>resource/subresource</c>, the form RBAC rules and messages use.</summary>
    public string ResourcePath => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";
}
