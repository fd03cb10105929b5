using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// What to import for a completed managed Build, checked against the Build's own (immutable) output so that an edited
/// destination annotation cannot make the operator import the image anywhere else.
/// </summary>
public sealed record BuildImportPlan(ImageStreamTagReference Destination, string From)
{
    /// <summary>The plan, or null and why the Build's annotations and output do not agree.</summary>
    public static BuildImportPlan? For(Build build, string registryHost, string? destinationOrganization, out string? problem)
    {
        var annotations = build.Metadata.Annotations ?? new Dictionary<string, string>();
        var destination = ImageStreamTagReference.Parse(annotations.TryGetValue(BuildAnnotations.DestinationImageStream, out var d) ? d : null);
        if (destination is null)
        {
            problem = $"annotation {BuildAnnotations.DestinationImageStream} is missing or not namespace/name:tag";
            return null;
        }
        if (destinationOrganization is null)
        {
            problem = $"namespace {destination.Namespace} has no Quay organization";
            return null;
        }
        var expected = new QuayImageReference(registryHost, destinationOrganization, destination.Stream, destination.Tag);
        var output = build.Spec?.Output?.To;
        if (output?.Kind != "DockerImage" || output.Name != expected.ToString())
        {
            problem = $"the Build's output {output?.Kind} {output?.Name} is not {expected}, which {BuildAnnotations.DestinationImageStream}={destination} implies";
            return null;
        }
        var digest = build.Status?.Output?.To?.ImageDigest;
        problem = null;
        return new BuildImportPlan(destination, string.IsNullOrEmpty(digest) ? expected.ToString() : expected.ByDigest(digest));
    }
}
