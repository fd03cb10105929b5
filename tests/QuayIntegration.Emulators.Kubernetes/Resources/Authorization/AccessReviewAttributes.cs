using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Authorization;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// The spec of the access reviews turned into authorizer attributes and back
/// (pkg/registry/authorization/util/helpers.go ResourceAttributesFrom/NonResourceAttributesFrom), with the spec
/// checks of pkg/apis/authorization/validation/validation.go.
/// </summary>
public static class AccessReviewAttributes
{
    public static AuthorizationAttributes From(JsonObject spec, ApiUser user, string kind)
    {
        var resource = spec["resourceAttributes"] as JsonObject;
        var nonResource = spec["nonResourceAttributes"] as JsonObject;
        if ((resource is null) == (nonResource is null))
            throw Errors.Invalid(kind, "authorization.k8s.io", "", [FieldError.InvalidRendered("spec.resourceAttributes", spec["resourceAttributes"]?.ToCompactJson() ?? "null",
                "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        if (nonResource is not null)
            return new AuthorizationAttributes(user, nonResource.Str("verb") ?? "", false, Path: nonResource.Str("path") ?? "");
        return new AuthorizationAttributes(user, resource!.Str("verb") ?? "", true, resource.Str("group") ?? "", resource.Str("version") ?? "",
            resource.Str("resource") ?? "", resource.Str("subresource") ?? "", resource.Str("namespace") ?? "", resource.Str("name") ?? "");
    }

    /// <summary>SubjectAccessReviewStatus: <c>allowed</c> always, <c>reason</c> when the authorizer gave one (RBAC never says <c>denied</c>).</summary>
    public static JsonObject Status(AuthorizationDecision decision)
    {
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0) status["reason"] = decision.Reason;
        return status;
    }
}
