using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>What a registry bearer token allows: actions per repository, fixed when it is issued (as in Quay's JWTs).</summary>
public sealed record RegistryGrant(string? Username, IReadOnlyDictionary<string, IReadOnlySet<string>> Access, DateTimeOffset Expires)
{
    public bool Allows(string repository, string action) =>
        Access.TryGetValue(repository, out var actions) && actions.Contains(action);
}

/// <summary>Issues and checks opaque registry bearer tokens (Quay signs JWTs; nothing here needs to read them).</summary>
public sealed class RegistryTokens
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, RegistryGrant> _grants = new(StringComparer.Ordinal);

    public string Issue(RegistryGrant grant)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _grants[token] = grant;
        return token;
    }

    public RegistryGrant? Find(string token)
    {
        if (!_grants.TryGetValue(token, out var grant)) return null;
        if (grant.Expires > DateTimeOffset.UtcNow) return grant;
        _grants.TryRemove(token, out _);
        return null;
    }
}
