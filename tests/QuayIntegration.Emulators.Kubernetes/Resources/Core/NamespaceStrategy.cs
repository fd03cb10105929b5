using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>
/// core/v1 Namespace: <c>spec.finalizers</c> starts as ["kubernetes"] and changes only through <c>/finalize</c>;
/// status only through <c>/status</c>; deletion marks it Terminating and it vanishes in the write that empties both
/// finalizer lists.
/// </summary>
public sealed class NamespaceStrategy : ResourceStrategy
{
    public override StrategicMergeSchema? MergeSchema => BuiltInPatchMetadata.Namespace;
    public const string KubernetesFinalizer = "kubernetes";
    public static readonly HashSet<string> Undeletable = ["default", "kube-system", "kube-public"];
    private static readonly HashSet<string> Fields = ["spec", "status"];
    private static readonly HashSet<string> Selectable = ["metadata.name", "metadata.namespace", "status.phase"];

    public override bool HasStatusSubresource => true;
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override IReadOnlySet<string> SelectableFieldNames => Selectable;
    public override string? ValidateName(string name) => NameRules.ValidateDns1123Label(name);

    public override Dictionary<string, string> SelectableFields(JsonObject obj)
    {
        var fields = base.SelectableFields(obj);
        fields["status.phase"] = obj.At("status", "phase").AsString() ?? "";
        return fields;
    }

    public override IReadOnlyList<TableColumn> Columns =>
        [new("Status", "string", "", "The status of the namespace", 0, o => o.At("status", "phase")?.DeepClone())];

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx)
    {
        var spec = obj.ChildObject("spec");
        var finalizers = spec["finalizers"].StringList();
        if (!finalizers.Contains(KubernetesFinalizer)) finalizers.Add(KubernetesFinalizer);
        spec["finalizers"] = finalizers.ToJsonArray();
        obj["status"] = new JsonObject { ["phase"] = "Active" };
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx)
    {
        // Writes to the main resource silently keep spec.finalizers and status.
        if (old["spec"] is { } spec) obj["spec"] = spec.DeepClone(); else obj.Remove("spec");
        if (old["status"] is { } status) obj["status"] = status.DeepClone(); else obj.Remove("status");
    }

    public override void Decorate(JsonObject obj, RequestContext ctx)
    {
        var labels = obj.Metadata().ChildObject("labels");
        labels["kubernetes.io/metadata.name"] = obj.At("metadata", "name").AsString();
    }

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        foreach (var f in obj.At("spec", "finalizers").StringList())
            if (!NameRules.IsQualifiedName(f) && f != KubernetesFinalizer)
                errors.Add(FieldError.Invalid("spec.finalizers", JsonValue.Create(f), "name is neither a standard finalizer name nor is it fully qualified"));
    }

    public override bool HasPendingFinalizers(JsonObject obj) =>
        base.HasPendingFinalizers(obj) || obj.At("spec", "finalizers") is JsonArray { Count: > 0 };

    public override void OnDeletionRequested(JsonObject obj) => obj.ChildObject("status")["phase"] = "Terminating";

    public override void CheckDeletable(JsonObject obj)
    {
        var name = obj.At("metadata", "name").AsString()!;
        if (Undeletable.Contains(name))
            throw Errors.Forbidden($"namespaces \"{name}\" is forbidden: this namespace may not be deleted", new JsonObject { ["name"] = name, ["kind"] = "namespaces" });
    }

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        if (ctx.Subresource != "finalize") return null;
        if (ctx.Verb != "update") throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        var body = await RequestBody.ReadObjectAsync(ctx);
        var bodyName = body.At("metadata", "name").AsString();
        if (!string.IsNullOrEmpty(bodyName) && bodyName != ctx.Name)
            throw Errors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({ctx.Name})");
        var bodyVersion = body.At("metadata", "resourceVersion").AsString();
        // Only spec.finalizers of the body is used; anything else in it is ignored.
        return await ResourceOperations.WriteAsync(ctx, current =>
        {
            var spec = current.ChildObject("spec");
            spec["finalizers"] = body.At("spec", "finalizers").StringList().ToJsonArray();
            return current;
        }, string.IsNullOrEmpty(bodyVersion) ? null : bodyVersion);
    }
}
