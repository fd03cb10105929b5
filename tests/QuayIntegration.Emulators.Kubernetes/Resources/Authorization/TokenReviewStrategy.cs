using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Authentication;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// authentication.k8s.io/v1 TokenReview (pkg/registry/authentication/tokenreview/storage.go): authenticates
/// <c>spec.token</c> with the server's own authenticators. An empty token is 400; an unknown one answers
/// <c>authenticated: false</c> (with the authenticator's error when it recognised but rejected the token, e.g. an
/// expired service-account token); a known one gives <c>user</c> and the API server's <c>audiences</c>.
/// </summary>
public sealed class TokenReviewStrategy : ReviewStrategy
{
    protected override JsonObject Review(RequestContext ctx, JsonObject spec)
    {
        var token = spec.Str("token") ?? "";
        if (token.Length == 0) throw Errors.BadRequest("token is required for TokenReview in authentication");
        var (user, error) = ctx.Server.Authenticator.Authenticate(token);
        var status = new JsonObject { ["authenticated"] = user is not null };
        if (user is not null)
        {
            status["user"] = RequestRouter.UserInfoOf(user);
            status["audiences"] = spec["audiences"] is JsonArray { Count: > 0 } wanted ? wanted.DeepClone() : new JsonArray(ServiceAccountTokens.Issuer);
        }
        if (error is not null) status["error"] = "[" + error + "]";
        return status;
    }
}
