using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Webhook;

/// <summary>Where a rewritten Build pushes: <c>&lt;quay host&gt;/&lt;organization&gt;/&lt;stream&gt;:&lt;tag&gt;</c>.</summary>
public sealed record QuayImageReference(string RegistryHost, string Organization, string Repository, string Tag)
{
    public string RepositoryPath => $"{RegistryHost}/{Organization}/{Repository}";

    public override string ToString() => $"{RepositoryPath}:{Tag}";

    /// <summary>The same repository pinned to a digest, so a later push of the tag cannot be picked up instead.</summary>
    public string ByDigest(string digest) => $"{RepositoryPath}@{digest}";

    /// <summary>
    /// The organization of <paramref name="image"/> when it is what a rewrite for <paramref name="destination"/> makes:
    /// <c>&lt;host&gt;/&lt;organization&gt;/&lt;stream&gt;:&lt;tag&gt;</c> with an organization named for the destination's
    /// namespace (under any prefix or cluster ID) and, when <paramref name="registryHost"/> is given, that host. Null for
    /// any other image: one a user chose is not read as a rewrite.
    /// </summary>
    public static string? RewriteOrganization(string image, ImageStreamTagReference destination, string? registryHost = null)
    {
        var suffix = $"/{destination.Stream}:{destination.Tag}";
        if (!image.EndsWith(suffix, StringComparison.Ordinal)) return null;
        var path = image[..^suffix.Length];
        var slash = path.IndexOf('/');
        if (slash <= 0 || slash == path.Length - 1 || path.IndexOf('/', slash + 1) >= 0) return null;
        if (registryHost is not null && path[..slash] != registryHost) return null;
        var organization = path[(slash + 1)..];
        return QuayNames.IsOrganizationNameOf(organization, destination.Namespace) ? organization : null;
    }
}
