using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// image.openshift.io/v1 ImageStream: status subresource; <c>status.dockerImageRepository</c> computed by the server on
/// every write (empty without an integrated registry); spec tag generations follow <c>metadata.generation</c>.
/// </summary>
public sealed partial class ImageStreamStrategy : ResourceStrategy
{
    /// <summary>A Docker repository name component, as OpenShift's image validation has it (a path name may hold several).</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*\\z")]
    private static partial System.Text.RegularExpressions.Regex RepositoryComponent();
    /// <summary>reference.NameTotalLengthMax: the stream's pull spec path (namespace/name) must fit a Docker reference.</summary>
    private const int MaxRepositoryPath = 255;

    private static readonly HashSet<string> Fields = ["spec", "status"];
    private static readonly StrategicMergeSchema Schema = StrategicMergeSchema.Common.With(("spec.tags", "name"), ("status.tags", "tag"));

    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override bool TracksGeneration => true;
    public override bool HasStatusSubresource => true;
    public override StrategicMergeSchema? MergeSchema => Schema;
    public override IReadOnlyList<TableColumn> Columns =>
    [
        new("Image Repository", "string", "", "", 0, o => o.At("status", "dockerImageRepository")?.DeepClone()),
        new("Tags", "string", "", "", 0, o => JsonValue.Create(string.Join(",", (o.At("status", "tags") as JsonArray ?? []).Select(t => t.Str("tag"))))),
    ];

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx) => obj.Remove("status");

    /// <summary>
    /// OpenShift's ValidateImageStreamName, not a DNS subdomain: a path segment that is one Docker repository name
    /// component, so <c>my_app</c> and <c>a.b</c> are valid and <c>a--b</c>, <c>a__b</c> or <c>-a</c> are not.
    /// </summary>
    public override string? ValidateName(string name) =>
        NameRules.ValidatePathSegment(name) ?? (RepositoryComponent().IsMatch(name) ? null : "must match \"[a-z0-9]+(?:[._-][a-z0-9]+)*\"");

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        var meta = obj.Metadata();
        if ($"{meta.Str("namespace")}/{meta.Str("name")}".Length > MaxRepositoryPath)
            errors.Add(FieldError.Invalid("metadata.name", JsonValue.Create(meta.Str("name")), $"'namespace/name' cannot be longer than {MaxRepositoryPath} characters"));
        if (obj.At("spec", "tags") is not JsonArray tags) return;
        var names = new HashSet<string>();
        for (var i = 0; i < tags.Count; i++)
        {
            var name = tags[i].Str("name") ?? "";
            if (name.Length == 0) errors.Add(FieldError.Required($"spec.tags[{i}].name"));
            else if (!names.Add(name)) errors.Add(FieldError.Duplicate($"spec.tags[{i}].name", JsonValue.Create(name)));
            if (tags[i]?["from"] is JsonObject from && from.Str("kind") is not ("DockerImage" or "ImageStreamTag" or "ImageStreamImage") and var kind)
                errors.Add(FieldError.Invalid($"spec.tags[{name}].from.kind", JsonValue.Create(kind), "valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'"));
            if (tags[i].At("referencePolicy", "type").AsString() is { } policy && policy is not ("Source" or "Local"))
                errors.Add(FieldError.NotSupported($"spec.tags[{name}].referencePolicy.type", JsonValue.Create(policy), ["Local", "Source"]));
        }
    }

    public override void Decorate(JsonObject obj, RequestContext ctx)
    {
        var meta = obj.Metadata();
        var host = ctx.Server.Options.InternalRegistryHostname;
        var status = obj.ChildObject("status");
        status["dockerImageRepository"] = host is null ? "" : $"{host}/{meta.Str("namespace")}/{meta.Str("name")}";
        // Tags without a generation were just added or changed: they belong to this generation.
        if (obj.At("spec", "tags") is JsonArray tags)
            foreach (var tag in tags.OfType<JsonObject>())
                tag["generation"] ??= meta.Long("generation") ?? 1;
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx)
    {
        // A tag whose content changed gets the next generation stamped in Decorate.
        if (obj.At("spec", "tags") is not JsonArray tags) return;
        var oldTags = (old.At("spec", "tags") as JsonArray ?? []).OfType<JsonObject>().ToDictionary(t => t.Str("name") ?? "", t => t);
        foreach (var tag in tags.OfType<JsonObject>())
        {
            if (!oldTags.TryGetValue(tag.Str("name") ?? "", out var before)) { tag.Remove("generation"); continue; }
            var a = tag.Clone(); a.Remove("generation");
            var b = before.Clone(); b.Remove("generation");
            if (!Json.DeepEquals(a, b)) tag.Remove("generation");
            else tag["generation"] = before["generation"]?.DeepClone();
        }
    }
}
