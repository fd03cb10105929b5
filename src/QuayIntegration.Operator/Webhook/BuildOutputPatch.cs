using System.Collections.Frozen;
using System.Text.Json;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// The JSON patch (RFC 6902) that turns a Build's ImageStreamTag output into the Quay DockerImage and records the
/// original tag, and the removal of the imported mark a new Build may have copied. Every operation must apply to the Build as sent: a patch that does not apply fails the create with a
/// 500 whatever the failure policy, so a missing parent map is added whole and <c>remove</c> is only emitted for a
/// field that is there.
/// </summary>
public static class BuildOutputPatch
{
    // Every path is the same for every Build: escaped once.
    private static readonly string AnnotationsPath = JsonPointer.Of("metadata", "annotations");
    private static readonly string ManagedPath = JsonPointer.Of("metadata", "annotations", BuildAnnotations.Managed);
    private static readonly string DestinationPath = JsonPointer.Of("metadata", "annotations", BuildAnnotations.DestinationImageStream);
    private static readonly string LabelsPath = JsonPointer.Of("metadata", "labels");
    private static readonly string ManagedBuildLabelPath = JsonPointer.Of("metadata", "labels", BuildAnnotations.ManagedBuildLabel);
    private static readonly string KindPath = JsonPointer.Of("spec", "output", "to", "kind");
    private static readonly string NamePath = JsonPointer.Of("spec", "output", "to", "name");
    private static readonly string NamespacePath = JsonPointer.Of("spec", "output", "to", "namespace");
    private static readonly FrozenDictionary<string, string> ManagedBuildLabels =
        new Dictionary<string, string> { [BuildAnnotations.ManagedBuildLabel] = "true" }.ToFrozenDictionary();

    private static readonly (string Key, string Path)[] ImportMarks =
    [
        (BuildAnnotations.Imported, JsonPointer.Of("metadata", "annotations", BuildAnnotations.Imported)),
        (BuildAnnotations.ImportSkipped, JsonPointer.Of("metadata", "annotations", BuildAnnotations.ImportSkipped)),
    ];

    /// <summary>
    /// <paramref name="decision"/> with a <c>remove</c> of each mark of a finished import (imported, or skipped as
    /// superseded) the Build carries (a member that is there, even null, so the remove always applies; the map is never
    /// removed or added for it). The outcome stays the decision's own: the output was still rewritten, or left alone,
    /// for the reason it names.
    /// </summary>
    public static AdmissionDecision DropImportMarks(JsonElement build, AdmissionDecision decision)
    {
        if (build.Object("metadata")?.Object("annotations") is not { } annotations) return decision;
        List<JsonPatchOperation>? removals = null;
        foreach (var (key, path) in ImportMarks)
            if (annotations.Has(key)) (removals ??= []).Add(JsonPatchOperation.Remove(path));
        if (removals is null) return decision;
        return decision with { Patch = decision.Patch is { } patch ? [.. patch, .. removals] : removals };
    }

    /// <summary>
    /// <paramref name="decision"/> with the managed-build label added to a Rebuild (<c>builds/NAME/clone</c>, marked
    /// <c>openshift.io/build.clone-of</c>) that carries a rewrite's annotations (managed, and a destination) and its Quay
    /// output (a DockerImage) but not the label: a clone copies all of them from the original, and the Go operator, whose
    /// Builds a cluster may still hold, never set the label. Only labelled Builds are watched, so such a clone's image
    /// would never be imported back (the Go operator's own Builds are adopted once, when a replica starts leading).
    /// Nothing is added when the decision's patch writes the labels already (a rewrite).
    /// </summary>
    public static AdmissionDecision LabelCopiedRewrite(JsonElement build, AdmissionDecision decision)
    {
        if (!decision.Allowed || decision.Patch?.Any(op => op.Path == LabelsPath || op.Path == ManagedBuildLabelPath) == true) return decision;
        if (CopiedRewrite(build) is not { } metadata) return decision;
        var labels = metadata.Object("labels");
        if (labels?.String(BuildAnnotations.ManagedBuildLabel) == "true") return decision;
        var label = AddManagedBuildLabel(labels);
        return decision with { Patch = decision.Patch is { } patch ? [.. patch, label] : [label] };
    }

    /// <summary>
    /// The ImageStreamTag a Rebuild's copied rewrite recorded (see <see cref="LabelCopiedRewrite"/>), or null for any
    /// other Build: the clone's Quay output is the original's, which names where the namespace pushed then. Only when
    /// that output is what a rewrite makes of it (<c>&lt;host&gt;/&lt;organization of its namespace&gt;/&lt;stream&gt;:&lt;tag&gt;</c>):
    /// a DockerImage a user chose, annotations copied along with a Build's YAML, stays theirs.
    /// </summary>
    public static ImageStreamTagReference? CopiedRewriteDestination(JsonElement build)
    {
        if (CopiedRewrite(build) is not { } metadata
            || ImageStreamTagReference.Parse(metadata.Object("annotations")?.String(BuildAnnotations.DestinationImageStream)) is not { } destination
            || build.Object("spec")?.Object("output")?.Object("to")?.String("name") is not { } output)
            return null;
        return QuayImageReference.RewriteOrganization(output, destination) is not null ? destination : null;
    }

    /// <summary>The metadata of a clone carrying a rewrite's annotations and a DockerImage output; null for any other Build.</summary>
    private static JsonElement? CopiedRewrite(JsonElement build) =>
        build.Object("metadata") is { } metadata
        && metadata.Object("annotations") is { } annotations
        && annotations.String(BuildAnnotations.Managed) == "true"
        && annotations.String(BuildAnnotations.DestinationImageStream) is { Length: > 0 }
        && annotations.String(CloneOfAnnotation) is { Length: > 0 }
        && build.Object("spec")?.Object("output")?.Object("to")?.String("kind") == BuildOutputTarget.DockerImageKind
            ? metadata
            : null;

    /// <summary>The managed-build label, added to <paramref name="labels"/> when the Build has that map, else as a whole map.</summary>
    private static JsonPatchOperation AddManagedBuildLabel(JsonElement? labels) =>
        labels is not null ? JsonPatchOperation.Add(ManagedBuildLabelPath, "true") : JsonPatchOperation.AddMap(LabelsPath, ManagedBuildLabels);

    /// <summary>What OpenShift's build generator sets on a clone: the name of the Build it was made from.</summary>
    private const string CloneOfAnnotation = "openshift.io/build.clone-of";

    private static readonly string PushSecretNamePath = JsonPointer.Of("spec", "output", "pushSecret", "name");
    private static readonly string PushSecretPath = JsonPointer.Of("spec", "output", "pushSecret");

    /// <summary>Replaces <c>spec.output.pushSecret.name</c>; only for a Build where that member is a non-empty string.</summary>
    public static JsonPatchOperation ReplacePushSecret(string name) => JsonPatchOperation.Replace(PushSecretNamePath, name);

    /// <summary>The push secret where the Build names none (absent, null or with an empty name: "add" replaces a member that is there).</summary>
    public static JsonPatchOperation SetPushSecret(string name) => JsonPatchOperation.AddMap(PushSecretPath, new Dictionary<string, string> { ["name"] = name });

    public static IReadOnlyList<JsonPatchOperation> For(JsonElement build, QuayImageReference image, ImageStreamTagReference destination)
    {
        var to = build.Object("spec")?.Object("output")?.Object("to")
            ?? throw new ArgumentException("the Build has no spec.output.to to rewrite", nameof(build));
        var metadata = build.Object("metadata") ?? throw new ArgumentException("the Build has no metadata", nameof(build));
        var patch = new List<JsonPatchOperation>(6);

        // Map entries are added one by one when the map exists, else the whole map: a child cannot be added to a
        // missing parent, and "add" replaces a member that is there with a null value too.
        var destinationValue = destination.ToString();
        if (metadata.Object("annotations") is not null)
        {
            patch.Add(JsonPatchOperation.Add(ManagedPath, "true"));
            patch.Add(JsonPatchOperation.Add(DestinationPath, destinationValue));
        }
        else
        {
            patch.Add(JsonPatchOperation.AddMap(AnnotationsPath, new Dictionary<string, string>
            {
                [BuildAnnotations.Managed] = "true",
                [BuildAnnotations.DestinationImageStream] = destinationValue,
            }));
        }
        patch.Add(AddManagedBuildLabel(metadata.Object("labels")));

        // Replaced when there (even as null), else added.
        patch.Add(to.Has("kind") ? JsonPatchOperation.Replace(KindPath, "DockerImage") : JsonPatchOperation.Add(KindPath, "DockerImage"));
        var name = image.ToString();
        patch.Add(to.Has("name") ? JsonPatchOperation.Replace(NamePath, name) : JsonPatchOperation.Add(NamePath, name));
        // A DockerImage output with a namespace is invalid (422), even an empty one.
        if (to.Has("namespace")) patch.Add(JsonPatchOperation.Remove(NamespacePath));
        return patch;
    }
}
