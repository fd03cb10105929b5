using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// build.openshift.io/v1 Build: no status subresource (status is written through the main resource, so every status
/// change is an admission UPDATE); spec immutable except <c>output.pushSecret</c>; terminal phases frozen;
/// <c>strategy.type</c> derived from the member present; PUT needs a resourceVersion.
/// </summary>
public sealed class BuildStrategy : ResourceStrategy
{
    public static readonly HashSet<string> TerminalPhases = ["Complete", "Failed", "Error", "Cancelled"];
    private static readonly string[] PhaseOrder = ["New", "Pending", "Running"];
    private static readonly HashSet<string> Fields = ["spec", "status"];
    private static readonly HashSet<string> Selectable = ["metadata.name", "metadata.namespace", "status", "podName"];
    private static readonly StrategicMergeSchema Schema = StrategicMergeSchema.Common.With(
        ("status.conditions", "type"), ("spec.strategy.dockerStrategy.env", "name"), ("spec.strategy.sourceStrategy.env", "name"),
        ("spec.triggeredBy", null));
    internal static readonly (string Member, string Type)[] StrategyMembers =
        [("dockerStrategy", "Docker"), ("sourceStrategy", "Source"), ("customStrategy", "Custom"), ("jenkinsPipelineStrategy", "JenkinsPipeline")];

    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override bool RequiresResourceVersionOnUpdate => true;
    public override StrategicMergeSchema? MergeSchema => Schema;
    public override IReadOnlySet<string> SelectableFieldNames => Selectable;

    public override Dictionary<string, string> SelectableFields(JsonObject obj)
    {
        var fields = base.SelectableFields(obj);
        fields["status"] = obj.At("status", "phase").AsString() ?? "";
        fields["podName"] = obj.At("metadata", "annotations", "openshift.io/build.pod-name").AsString() ?? "";
        return fields;
    }

    public override IReadOnlyList<TableColumn> Columns =>
    [
        new("Type", "string", "", "Describes the strategy", 0, o => o.At("spec", "strategy", "type")?.DeepClone()),
        new("From", "string", "", "Source", 0, o => o.At("spec", "source", "type")?.DeepClone()),
        new("Status", "string", "", "Phase", 0, o => o.At("status", "phase")?.DeepClone()),
        new("Started", "date", "", "Start time", 0, o => o.At("status", "startTimestamp")?.DeepClone()),
    ];

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx)
    {
        DeriveStrategyType(obj);
        var status = obj.ChildObject("status");
        if (string.IsNullOrEmpty(status.Str("phase"))) status["phase"] = "New";
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx) => DeriveStrategyType(obj);

    internal static void DeriveStrategyType(JsonObject obj)
    {
        if (obj.At("spec", "strategy") is not JsonObject strategy) return;
        var present = StrategyMembers.Where(m => strategy[m.Member] is JsonObject).ToList();
        if (present.Count == 1) strategy["type"] = present[0].Type;
    }

    private static readonly HashSet<string> Phases = ["New", "Pending", "Running", "Complete", "Failed", "Error", "Cancelled"];

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        ValidateSpec(obj["spec"] as JsonObject, "spec", errors);
        if (obj.At("status", "phase").AsString() is { } phase && !Phases.Contains(phase))
            errors.Add(FieldError.NotSupported("status.phase", JsonValue.Create(phase), Phases));
    }

    internal static void ValidateSpec(JsonObject? spec, string path, List<FieldError> errors)
    {
        if (spec?["strategy"] is not JsonObject strategy)
        {
            errors.Add(FieldError.Required(path + ".strategy"));
            return;
        }
        var present = StrategyMembers.Count(m => strategy[m.Member] is JsonObject);
        if (present == 0) errors.Add(FieldError.Invalid(path + ".strategy", strategy.DeepClone(), "must provide a value for exactly one of sourceStrategy, customStrategy, dockerStrategy, or jenkinsPipelineStrategy"));
        else if (present > 1) errors.Add(FieldError.Invalid(path + ".strategy", strategy.DeepClone(), "must provide a value for exactly one of sourceStrategy, customStrategy, dockerStrategy, or jenkinsPipelineStrategy"));
        if (strategy["sourceStrategy"] is JsonObject source && source["from"] is not JsonObject)
            errors.Add(FieldError.Required(path + ".strategy.sourceStrategy.from"));
        if (spec.At("output", "to") is JsonObject to)
        {
            var kind = to.Str("kind");
            var name = to.Str("name") ?? "";
            switch (kind)
            {
                case "DockerImage":
                    if (!string.IsNullOrEmpty(to.Str("namespace")))
                        errors.Add(FieldError.Invalid(path + ".output.to.namespace", to["namespace"]?.DeepClone(), "namespace is not valid when used with a 'DockerImage'"));
                    if (name.Length == 0) errors.Add(FieldError.Required(path + ".output.to.name"));
                    break;
                case "ImageStreamTag":
                    // validateOutput accepts what library-go's SplitImageStreamTag accepts: a name with a ':' (split at the
                    // first one); an empty tag means latest. "app" is refused, "app:" is app:latest.
                    if (name.Length == 0) errors.Add(FieldError.Required(path + ".output.to.name"));
                    else if (!name.Contains(':'))
                        errors.Add(FieldError.Invalid(path + ".output.to.name", JsonValue.Create(name), "ImageStreamTag object references must be in the form <name>:<tag>"));
                    break;
                default:
                    errors.Add(FieldError.Invalid(path + ".output.to.kind", JsonValue.Create(kind), "invalid output object kind"));
                    break;
            }
        }
    }

    /// <summary>BuildByStrategy: the writer must be allowed the strategy, on every write but <c>/details</c> and GC-only ones.</summary>
    public override void Admit(JsonObject obj, JsonObject? old, RequestContext ctx) => BuildStrategyRestrictions.Admit(obj, old, ctx);

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx)
    {
        var newSpec = (obj["spec"] as JsonObject)?.Clone();
        var oldSpec = (old["spec"] as JsonObject)?.Clone();
        (newSpec?["output"] as JsonObject)?.Remove("pushSecret");
        (oldSpec?["output"] as JsonObject)?.Remove("pushSecret");
        if (!Json.DeepEquals(newSpec, oldSpec)) errors.Add(FieldError.Invalid("spec", null, "spec is immutable"));
        var oldPhase = old.At("status", "phase").AsString() ?? "New";
        var newPhase = obj.At("status", "phase").AsString() ?? "New";
        if (oldPhase == newPhase) return;
        if (TerminalPhases.Contains(oldPhase))
            errors.Add(FieldError.Invalid("status.phase", JsonValue.Create(newPhase), "phase cannot be updated from a terminal state"));
        else if (!TerminalPhases.Contains(newPhase) && Array.IndexOf(PhaseOrder, newPhase) < Array.IndexOf(PhaseOrder, oldPhase))
            errors.Add(FieldError.Invalid("status.phase", JsonValue.Create(newPhase), $"phase cannot be updated from {oldPhase} to {newPhase}"));
    }

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        if (ctx.Subresource != "clone") return null;
        if (ctx.Verb != "create") throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        var request = await RequestBody.ReadObjectAsync(ctx);
        var original = ctx.Server.Store.Get(ctx.Type.StorageKey, ctx.Namespace, ctx.Name!) ?? throw ctx.Type.NotFound(ctx.Name!);
        // BuildByStrategy admits the BuildRequest against the strategy of the Build it copies.
        BuildStrategyRestrictions.AdmitRequest(original, request, ctx);
        return await BuildCloner.CloneAsync(ctx, original, request);
    }
}
