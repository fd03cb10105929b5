using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// What to import for a completed managed Build, checked against the Build's own (immutable) output so that an edited
/// destination annotation cannot make the operator import the image anywhere else.
/// </summary>
/// <param name="From">The image to import: by the digest the Build reported, else by its tag.</param>
/// <param name="Tagged">The same image by its tag: what a scheduled import follows (a digest never changes).</param>
/// <param name="Organization">The Quay organization the Build pushed to.</param>
/// <param name="Former">The namespace uses another organization now (the Build was rewritten before it moved).</param>
public sealed record BuildImportPlan(ImageStreamTagReference Destination, string From, string Tagged, string Organization, bool Former)
{
    /// <summary>
    /// What an import names: the tag when it is scheduled (OpenShift re-imports a scheduled tag's reference every few
    /// minutes, so that a push to Quay from elsewhere reaches the ImageStreamTag; a digest would re-import the same image
    /// for good), else <see cref="From"/>.
    /// </summary>
    public string SourceFor(bool scheduled) => FollowsTag(scheduled) ? Tagged : From;

    /// <summary>
    /// Whether the import is scheduled: when the integration asks for it, except from a former organization, whose tag
    /// the namespace no longer pushes to (a scheduled import would keep following it, and pushes to the namespace's
    /// organization would never reach the ImageStreamTag).
    /// </summary>
    public bool FollowsTag(bool scheduled) => scheduled && !Former;

    /// <summary>The plan, or null and why the Build's annotations and output do not agree.</summary>
    /// <param name="organizations">
    /// The organizations of the destination namespace on <paramref name="registryHost"/> the image may come from: the
    /// one it uses now, then those its record holds there (a Build rewritten before the organization prefix, cluster ID
    /// or Quay changed pushed to a former one). Only the operator writes either, so an edited destination annotation
    /// still cannot make it import from anywhere else.
    /// </param>
    /// <param name="current">The organization the namespace pushes to now, when that is on <paramref name="registryHost"/>; any other is a former one.</param>
    public static BuildImportPlan? For(Build build, string registryHost, IReadOnlyList<string> organizations, string? current, out string? problem)
    {
        var annotations = build.Metadata.Annotations ?? new Dictionary<string, string>();
        var destination = ImageStreamTagReference.Parse(annotations.TryGetValue(BuildAnnotations.DestinationImageStream, out var d) ? d : null);
        if (destination is null)
        {
            problem = $"annotation {BuildAnnotations.DestinationImageStream} is missing or not namespace/name:tag";
            return null;
        }
        if (organizations.Count == 0)
        {
            problem = $"namespace {destination.Namespace} has no Quay organization";
            return null;
        }
        var output = build.Spec?.Output?.To;
        foreach (var organization in organizations)
        {
            var expected = new QuayImageReference(registryHost, organization, destination.Stream, destination.Tag);
            if (output?.Kind != "DockerImage" || output.Name != expected.ToString()) continue;
            var digest = build.Status?.Output?.To?.ImageDigest;
            problem = null;
            return new BuildImportPlan(destination, string.IsNullOrEmpty(digest) ? expected.ToString() : expected.ByDigest(digest), expected.ToString(),
                organization, Former: organization != current);
        }
        var implied = new QuayImageReference(registryHost, current ?? organizations[0], destination.Stream, destination.Tag);
        var others = organizations.Where(o => o != implied.Organization).ToList();
        problem = $"the Build's output {output?.Kind} {output?.Name} is not {implied}, which {BuildAnnotations.DestinationImageStream}={destination} implies" +
                  (others.Count > 0 ? $", nor in another organization of namespace {destination.Namespace} on {registryHost} ({string.Join(", ", others)})" : "");
        return null;
    }

    /// <summary>
    /// The organization a Build pushed to when its output is the destination's image on <paramref name="registryHost"/>
    /// in an organization named for the destination namespace (under any prefix) that is not among
    /// <paramref name="organizations"/>: one the namespace has left and whose content went (cleanupPolicy Delete), or a
    /// found one it dropped. Null for any other output. Nothing is imported from it, so the annotation gains nothing.
    /// </summary>
    public static string? OrganizationLeft(Build build, string registryHost, IReadOnlyList<string> organizations)
    {
        var destination = ImageStreamTagReference.Parse(build.Metadata.Annotations?.TryGetValue(BuildAnnotations.DestinationImageStream, out var d) == true ? d : null);
        var output = build.Spec?.Output?.To;
        if (destination is null || output?.Kind != "DockerImage" || output.Name is not { } name) return null;
        return QuayImageReference.RewriteOrganization(name, destination, registryHost) is { } organization && !organizations.Contains(organization)
            ? organization
            : null;
    }
}
