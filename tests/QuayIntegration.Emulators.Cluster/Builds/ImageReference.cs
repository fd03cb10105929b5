namespace QuayIntegration.Emulators.Cluster.Builds;

/// <summary>A Docker pull spec split as registries and the build controller read it: <c>host[:port]/path[:tag][@digest]</c>.</summary>
public sealed record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    public static ImageReference Parse(string pullSpec)
    {
        var rest = pullSpec.Trim();
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
        }
        string? tag = null;
        var lastColon = rest.LastIndexOf(':');
        if (lastColon > rest.LastIndexOf('/'))
        {
            tag = rest[(lastColon + 1)..];
            rest = rest[..lastColon];
        }
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? "" : rest[..slash];
        // As in Docker's reference grammar: the first component is a registry host only if it looks like one.
        var hasRegistry = slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost");
        var registry = hasRegistry ? first : DockerHub;
        var repository = hasRegistry ? rest[(slash + 1)..] : rest;
        if (repository.Length == 0)
        {
            throw new FormatException($"\"{pullSpec}\" is not a valid image reference");
        }
        return new ImageReference(registry, repository, tag ?? (digest is null ? "latest" : null), digest);
    }

    /// <summary><c>host/path</c>, what docker config keys are matched against.</summary>
    public string RepositoryWithRegistry => $"{Registry}/{Repository}";

    public override string ToString() => RepositoryWithRegistry + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);
}
