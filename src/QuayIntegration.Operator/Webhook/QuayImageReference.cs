namespace QuayIntegration.Operator.Webhook;

/// <summary>Where a rewritten Build pushes: <c>&lt;quay host&gt;/&lt;organization&gt;/&lt;stream&gt;:&lt;tag&gt;</c>.</summary>
public sealed record QuayImageReference(string RegistryHost, string Organization, string Repository, string Tag)
{
    public string RepositoryPath => $"{RegistryHost}/{Organization}/{Repository}";

    public override string ToString() => $"{RepositoryPath}:{Tag}";

    /// <summary>The same repository pinned to a digest, so a later push of the tag cannot be picked up instead.</summary>
    public string ByDigest(string digest) => $"{RepositoryPath}@{digest}";
}
