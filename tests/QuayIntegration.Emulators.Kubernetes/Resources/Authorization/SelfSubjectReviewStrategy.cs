using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// authentication.k8s.io/v1 SelfSubjectReview (pkg/registry/authentication/selfsubjectreview/rest.go): who the server
/// thinks the caller is, in <c>status.userInfo</c>; what <c>kubectl auth whoami</c> prints.
/// </summary>
public sealed class SelfSubjectReviewStrategy : ReviewStrategy
{
    protected override JsonObject Review(RequestContext ctx, JsonObject spec) =>
        new() { ["userInfo"] = RequestRouter.UserInfoOf(ctx.User) };
}
