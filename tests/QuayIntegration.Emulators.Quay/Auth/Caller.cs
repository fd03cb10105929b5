using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Auth;

/// <summary>
/// Who a request acts as. Quay never rejects an unknown bearer token: the request simply goes on as anonymous, which is
/// why <see cref="HasValidToken"/> (the CSRF check for writes) is separate from <see cref="User"/>.
/// </summary>
public sealed class Caller
{
    public static readonly Caller Anonymous = new(null, QuayScopes.None, hasValidToken: false, isRegistryLogin: false);

    public Caller(UserAccount? user, QuayScopes scopes, bool hasValidToken, bool isRegistryLogin)
    {
        User = user;
        Scopes = scopes;
        HasValidToken = hasValidToken;
        IsRegistryLogin = isRegistryLogin;
    }

    public UserAccount? User { get; }
    public QuayScopes Scopes { get; }
    public bool HasValidToken { get; }

    /// <summary>
    /// A registry login with a password or robot token: Quay gives those the user's full rights (no scope capping).
    /// </summary>
    public bool IsRegistryLogin { get; }

    public bool IsAnonymous => User is null;
    public bool Has(QuayScopes scope) => IsRegistryLogin || (Scopes & scope) != 0;
}
