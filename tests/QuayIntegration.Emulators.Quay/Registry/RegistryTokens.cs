using System.Collections.Concurrent;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>What a registry bearer token allows: actions per repository, fixed when it is issued (as in Quay's JWTs).</summary>
public sealed record RegistryGrant(string? Username, IReadOnlyDictionary<string, IReadOnlySet<string>> Access, DateTimeOffset Expires)
{
    public bool Allows(string repository, string action) =>
        Access.TryGetValue(repository, out var actions) && actions.Contains(action);
}

/// <summary>
/// What each issued registry bearer token (a JWT, <see cref="RegistryJwt"/>) grants, looked up when the token comes
/// back, instead of verifying the JWT again.
/// </summary>
public sealed class RegistryTokens
{
    /// <summary>TOKEN_VALIDITY_LIFETIME_S in endpoints/v2/v2auth.py.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, RegistryGrant> _grants = new(StringComparer.Ordinal);

    public void Remember(string token, RegistryGrant grant) => _grants[token] = grant;

    public RegistryGrant? Find(string token)
    {
        if (!_grants.TryGetValue(token, out var grant)) return null;
        if (grant.Expires > DateTimeOffset.UtcNow) return grant;
        _grants.TryRemove(token, out _);
        return null;
    }
}
