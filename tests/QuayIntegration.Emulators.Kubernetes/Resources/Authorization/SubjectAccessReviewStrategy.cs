using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// authorization.k8s.io/v1 SubjectAccessReview and LocalSubjectAccessReview
/// (pkg/registry/authorization/subjectaccessreview/rest.go, localsubjectaccessreview/rest.go): may the user named in
/// the spec (<c>user</c>, <c>groups</c>, <c>uid</c>, <c>extra</c>) do this? At least a user or a group is required; the
/// local form is bound to its namespace (an empty <c>resourceAttributes.namespace</c> means it, another one is 400).
/// </summary>
public sealed class SubjectAccessReviewStrategy(bool local) : ReviewStrategy
{
    private string Kind => local ? "LocalSubjectAccessReview" : "SubjectAccessReview";

    protected override JsonObject Review(RequestContext ctx, JsonObject spec)
    {
        var username = spec.Str("user") ?? "";
        var groups = spec["groups"].StringList();
        if (username.Length == 0 && groups.Count == 0)
            throw Errors.Invalid(Kind, "authorization.k8s.io", "", [FieldError.InvalidRendered("spec.user,spec.groups", "null", "at least one of user or group must be specified")]);
        if (local && spec["resourceAttributes"] is JsonObject resource)
        {
            var requested = resource.Str("namespace") ?? "";
            if (requested.Length == 0) resource["namespace"] = ctx.Namespace;
            else if (requested != ctx.Namespace)
                throw Errors.BadRequest($"spec.resourceAttributes.namespace must match namespace: {ctx.Namespace}");
        }
        var user = new ApiUser(username, groups) { Uid = spec.Str("uid") ?? "" };
        var attributes = AccessReviewAttributes.From(spec, user, Kind);
        return AccessReviewAttributes.Status(ctx.Server.Authorizer.Authorize(attributes));
    }
}
