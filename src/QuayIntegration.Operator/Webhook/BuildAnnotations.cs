namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// What the webhook records on a rewritten Build. The annotation keys are the upstream Quay Bridge Operator's, so
/// tooling written for it keeps working; the label is ours and only lets the Build informer watch managed Builds.
/// </summary>
public static class BuildAnnotations
{
    private const string Prefix = "quay-registry-operator.quay.redhat.com/";

    /// <summary>"true" on every Build whose output the webhook rewrote.</summary>
    public const string Managed = Prefix + "quay-registry-operator-managed";

    /// <summary>The original output ImageStreamTag, <c>namespace/name:tag</c>.</summary>
    public const string DestinationImageStream = Prefix + "destination-imagestream";

    /// <summary>"true" once the pushed image was imported back into the destination ImageStreamTag.</summary>
    public const string Imported = Prefix + "destination-imagestreamtag-imported";

    /// <summary>
    /// Ours, set instead of <see cref="Imported"/> on a Build whose image is not imported: one that completed before the
    /// destination tag's newest image was recorded (importing it would roll the tag back), one that ended without an
    /// image (reported once), or one pushed to an organization its namespace has left whose registry refused the import. Like the imported mark it makes every later look a no-op.
    /// </summary>
    public const string ImportSkipped = "quay.redhat.com/import-skipped";

    /// <summary>The value of <see cref="ImportSkipped"/>: a newer image is already in the tag.</summary>
    public const string Superseded = "superseded";

    /// <summary>The value of <see cref="ImportSkipped"/>: the Build ended Failed, Error or Cancelled, with no image to import.</summary>
    public const string BuildEnded = "build-ended";

    /// <summary>
    /// The value of <see cref="ImportSkipped"/>: pushed to an organization the namespace no longer uses (the organization
    /// prefix or cluster ID changed), whose registry refused the import.
    /// </summary>
    public const string OrganizationMoved = "organization-moved";

    /// <summary>Label on rewritten Builds, so only those are cached (annotations cannot be selected on).</summary>
    public const string ManagedBuildLabel = "quay.redhat.com/managed-build";
}
