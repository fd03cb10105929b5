using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Emulators.Quay;

/// <summary>A user of the emulated Quay (a superuser gets <c>super_user</c> and, with full access on, bypasses checks).</summary>
public sealed record QuayUser(string Name, bool IsSuperuser = false, string? Email = null);

/// <summary>An OAuth access token; its user is created (as a plain user) if not listed in <see cref="QuayEmulatorOptions.Users"/>.</summary>
public sealed record QuayToken(string Token, string Username, QuayScopes Scopes, DateTimeOffset? ExpiresAt = null);

public sealed class QuayEmulatorOptions
{
    /// <summary>Port for plain HTTP on 127.0.0.1; 0 picks a free one.</summary>
    public int HttpPort { get; set; }

    /// <summary>Port for HTTPS on 127.0.0.1 (the registry host); 0 picks a free one.</summary>
    public int HttpsPort { get; set; }

    /// <summary>Who issues the HTTPS certificate: the emulator's root CA by default, or an intermediate CA under it.</summary>
    public QuayCertificateChain CertificateChain { get; set; }

    /// <summary>
    /// Where the HTTPS certificate says its issuer's certificate can be fetched (Authority Information Access), as a
    /// certificate from a public CA says; none by default. Only with <see cref="QuayCertificateChain.IntermediateNotSent"/>,
    /// the case where a client would look there.
    /// </summary>
    public Uri? CertificateIssuerUrl { get; set; }

    public List<QuayUser> Users { get; } = [];
    public List<QuayToken> Tokens { get; } = [];

    /// <summary>How long a deleted organization's name stays unavailable (Quay's GC worker); changeable at run time.</summary>
    public TimeSpan NamespaceGcDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>FEATURE_SUPERUSERS_FULL_ACCESS (off in Quay by default); changeable at run time.</summary>
    public bool SuperusersFullAccess { get; set; }

    /// <summary>
    /// Quay releases before organization contact emails, with FEATURE_MAILING on (Quay's default; the Quay Operator's base
    /// configuration turns it off): a new organization needs an email, unique among users and organizations. Off by
    /// default, as the current Quay has it (docs/quay-api.md). Changeable at run time.
    /// </summary>
    public bool OrganizationEmailRequired { get; set; }

    /// <summary>FEATURE_SUPERUSERS_ORG_CREATION_ONLY (off in Quay by default): only superusers create organizations. Changeable at run time.</summary>
    public bool OrganizationCreationForSuperusersOnly { get; set; }

    /// <summary>FEATURE_ANONYMOUS_ACCESS (on in Quay by default); off makes anonymous API calls 401 (C). Changeable at run time.</summary>
    public bool AnonymousAccess { get; set; } = true;

    /// <summary>REGISTRY_STATE=readonly: API writes answer 503 (B) with is_readonly. Changeable at run time.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Largest Quay API request body; bigger ones get nginx's 413 (assumed limit: the API takes small JSON).</summary>
    public long MaxApiBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest registry request body (a blob upload).</summary>
    public long MaxRegistryBodyBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Convenience: a user with a token holding <paramref name="scopes"/> (all scopes by default).</summary>
    public QuayEmulatorOptions WithUserToken(string username, string token, QuayScopes scopes = QuayScopes.All, bool superuser = false)
    {
        if (Users.All(u => u.Name != username)) Users.Add(new QuayUser(username, superuser));
        Tokens.Add(new QuayToken(token, username, scopes));
        return this;
    }
}
