using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Emulators.Kubernetes.Authentication;

/// <summary>
/// Bearer-token authentication as kube-apiserver's union of token authenticators does it (anonymous auth off): the
/// admin token and the static tokens of <see cref="ApiServerOptions.Users"/> (as <c>--token-auth-file</c>), then bound
/// service-account tokens. Every authenticated user gets <c>system:authenticated</c> (added by the authenticator
/// group adder). Used for requests and for TokenReview alike.
/// </summary>
public sealed class TokenAuthenticator(ApiServerCore server, string adminToken)
{
    /// <summary>The user, or null with the authenticator's error (null too when no authenticator knew the token).</summary>
    public (ApiUser? User, string? Error) Authenticate(string token)
    {
        if (token.Length == 0) return (null, null);
        if (token == adminToken) return (ApiUser.Admin, null);
        if (server.Users.TryGetValue(token, out var user)) return (user, null);
        var (account, error) = server.ServiceAccountTokens.Authenticate(token);
        return account is null ? (null, error) : (account, null);
    }

    /// <summary>The user of an <c>Authorization</c> header, or null.</summary>
    public ApiUser? FromHeader(string authorization)
    {
        const string prefix = "Bearer ";
        return authorization.StartsWith(prefix, StringComparison.Ordinal) ? Authenticate(authorization[prefix.Length..].Trim()).User : null;
    }
}
