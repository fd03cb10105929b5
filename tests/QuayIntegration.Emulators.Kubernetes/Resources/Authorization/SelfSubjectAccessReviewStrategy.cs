using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// authorization.k8s.io/v1 SelfSubjectAccessReview (pkg/registry/authorization/selfsubjectaccessreview/rest.go): may the
/// requesting user do this? What <c>kubectl auth can-i</c> asks.
/// </summary>
public sealed class SelfSubjectAccessReviewStrategy : ReviewStrategy
{
    protected override JsonObject Review(RequestContext ctx, JsonObject spec)
    {
        var attributes = AccessReviewAttributes.From(spec, ctx.User, "SelfSubjectAccessReview");
        return AccessReviewAttributes.Status(ctx.Server.Authorizer.Authorize(attributes));
    }
}
