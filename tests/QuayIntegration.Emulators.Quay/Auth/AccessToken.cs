namespace QuayIntegration.Emulators.Quay.Auth;

/// <summary>An OAuth access token as Quay stores it: which user granted it and with which scopes.</summary>
public sealed record AccessToken(string Token, string Username, QuayScopes Scopes, DateTimeOffset? ExpiresAt = null)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expiry && expiry <= now;
}
