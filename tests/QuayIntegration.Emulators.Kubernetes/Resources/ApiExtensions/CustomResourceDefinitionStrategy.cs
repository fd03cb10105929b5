using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.ApiExtensions;

/// <summary>
/// apiextensions.k8s.io/v1 CustomResourceDefinition: validates the definition, reports it Established, and starts (or
/// stops) serving its resource with the schema's pruning, defaults and validation.
/// <para>
/// Deleting one follows apiextensions-apiserver (<c>pkg/registry/customresourcedefinition/etcd.go</c> and
/// <c>pkg/controller/finalizer/crd_finalizer.go</c>): the first DELETE only marks it, adding the finalizer
/// <c>customresourcecleanup.apiextensions.k8s.io</c> and the condition Terminating; every custom resource is then
/// deleted as any DELETE would (those holding finalizers stay, marked, until their finalizers go); no new one can be
/// created (405); once none is left the finalizer goes and with it the definition, and the resource stops being served.
/// Removing the finalizer by hand deletes the definition at once and leaves the remaining objects in storage, unserved,
/// where a definition created again finds them, as etcd keeps them.
/// </para>
/// </summary>
public sealed class CustomResourceDefinitionStrategy : ResourceStrategy
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";
    public const string StorageKey = "apiextensions.k8s.io/customresourcedefinitions";

    private static readonly HashSet<string> Fields = ["spec", "status"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override bool HasStatusSubresource => true;
    public override bool TracksGeneration => true;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Created At", "date", "", "", 0, o => o.At("metadata", "creationTimestamp")?.DeepClone())];

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        var spec = obj["spec"] as JsonObject;
        var group = spec.Str("group") ?? "";
        var plural = spec.At("names", "plural").AsString() ?? "";
        var name = obj.At("metadata", "name").AsString();
        if (group.Length == 0) errors.Add(FieldError.Required("spec.group"));
        else if (!group.Contains('.')) errors.Add(FieldError.Invalid("spec.group", JsonValue.Create(group), "should be a domain with at least one dot"));
        if (plural.Length == 0) errors.Add(FieldError.Required("spec.names.plural"));
        if (string.IsNullOrEmpty(spec.At("names", "kind").AsString())) errors.Add(FieldError.Required("spec.names.kind"));
        if (name != $"{plural}.{group}")
            errors.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), $"must be spec.names.plural+\".\"+spec.group"));
        if (spec.Str("scope") is not ("Cluster" or "Namespaced") and var scope)
            errors.Add(FieldError.NotSupported("spec.scope", JsonValue.Create(scope), ["Cluster", "Namespaced"]));
        if (spec?["versions"] is not JsonArray { Count: > 0 } versions)
        {
            errors.Add(FieldError.Invalid("spec.versions", null, "must have exactly one version marked as storage version"));
            return;
        }
        if (versions.Count(v => v.Bool("storage")) != 1)
            errors.Add(FieldError.Invalid("spec.versions", null, "must have exactly one version marked as storage version"));
        for (var i = 0; i < versions.Count; i++)
            if (versions[i].At("schema", "openAPIV3Schema") is not JsonObject)
                errors.Add(FieldError.Required($"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"));
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx)
    {
        if (obj.At("spec", "group").AsString() != old.At("spec", "group").AsString())
            errors.Add(FieldError.Invalid("spec.group", obj.At("spec", "group")?.DeepClone(), "field is immutable"));
        if (obj.At("spec", "scope").AsString() != old.At("spec", "scope").AsString())
            errors.Add(FieldError.Invalid("spec.scope", obj.At("spec", "scope")?.DeepClone(), "field is immutable"));
    }

    public override void Decorate(JsonObject obj, RequestContext ctx)
    {
        var now = Json.Now();
        var names = obj.At("spec", "names")?.DeepClone() as JsonObject ?? new JsonObject();
        names["listKind"] ??= (names.Str("kind") ?? "") + "List";
        names["singular"] ??= (names.Str("kind") ?? "").ToLowerInvariant();
        var storage = (obj.At("spec", "versions") as JsonArray)?.FirstOrDefault(v => v.Bool("storage")).Str("name");
        var existing = obj["status"] as JsonObject;
        var conditions = existing?["conditions"] as JsonArray;
        JsonObject Condition(string type, string reason, string message) =>
            conditions?.OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type)?.Clone() ?? new JsonObject
            {
                ["type"] = type, ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = reason, ["message"] = message,
            };
        var kept = new List<JsonNode>
        {
            Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            Condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        };
        if (conditions?.OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == "Terminating") is { } terminating) kept.Add(terminating.Clone());
        obj["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray([.. kept]),
            ["acceptedNames"] = names,
            ["storedVersions"] = new JsonArray(storage is null ? [] : [JsonValue.Create(storage)]),
        };
    }

    public override Task AfterCreateAsync(JsonObject stored, RequestContext ctx)
    {
        Serve(ctx, stored);
        return Task.CompletedTask;
    }

    public override Task AfterUpdateAsync(JsonObject stored, JsonObject old, RequestContext ctx)
    {
        ctx.Server.Registry.RemoveGroupResource(old.At("spec", "group").AsString()!, old.At("spec", "names", "plural").AsString()!);
        Serve(ctx, stored);
        return Task.CompletedTask;
    }

    /// <summary>The first DELETE only marks the definition: its finalizer holds it until its custom resources are gone.</summary>
    public override bool HasPendingFinalizers(JsonObject obj) => base.HasPendingFinalizers(obj) || obj.At("metadata", "deletionTimestamp") is null;

    public override void OnDeletionRequested(JsonObject obj)
    {
        var meta = obj.Metadata();
        if (meta["finalizers"] is not JsonArray finalizers) meta["finalizers"] = finalizers = [];
        if (!finalizers.StringList().Contains(CleanupFinalizer)) finalizers.Add(CleanupFinalizer);
        var status = obj["status"] as JsonObject ?? (JsonObject)(obj["status"] = new JsonObject());
        if (status["conditions"] is not JsonArray conditions) status["conditions"] = conditions = [];
        foreach (var old in conditions.OfType<JsonObject>().Where(c => c.Str("type") == "Terminating").ToList()) conditions.Remove(old);
        conditions.Add(new JsonObject
        {
            ["type"] = "Terminating", ["status"] = "True", ["lastTransitionTime"] = Json.Now(),
            ["reason"] = "InstanceDeletionInProgress", ["message"] = "CustomResource deletion is in progress",
        });
    }

    /// <summary>The finalizer's work: every custom resource deleted, then the definition once none is left.</summary>
    public override async Task AfterDeletionRequestedAsync(JsonObject stored, RequestContext ctx)
    {
        var group = stored.At("spec", "group").AsString()!;
        var plural = stored.At("spec", "names", "plural").AsString()!;
        var type = ctx.Server.Registry.All.FirstOrDefault(t => t.Group == group && t.Plural == plural && !t.BuiltIn);
        if (type is not null)
        {
            foreach (var item in ctx.Server.Store.List(type.StorageKey, null).Items)
            {
                var meta = item.Metadata();
                try
                {
                    await ResourceOperations.DeleteAsync(ctx.For(type, "delete", meta.Str("namespace"), meta.Str("name")), null);
                }
                catch (ApiException e) when (e.Code == 404) { } // deleted meanwhile
            }
        }
        CompleteDeletion(ctx, group, plural);
    }

    /// <summary>
    /// A definition being deleted goes once none of its custom resources is left (called again whenever one goes): its
    /// finalizer is removed, and with no other finalizer the definition is deleted and its resource no longer served.
    /// </summary>
    public static void CompleteDeletion(RequestContext ctx, string group, string plural)
    {
        var store = ctx.Server.Store;
        var name = $"{plural}.{group}";
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var crd = store.Get(StorageKey, null, name);
            if (crd?.At("metadata", "deletionTimestamp") is null || !crd.At("metadata", "finalizers").StringList().Contains(CleanupFinalizer)) return;
            if (store.List($"{group}/{plural}", null).Items.Count > 0) return;
            var version = crd.At("metadata", "resourceVersion").AsString()!;
            var remaining = crd.At("metadata", "finalizers").StringList().Where(f => f != CleanupFinalizer).ToList();
            if (remaining.Count == 0)
            {
                if (store.Delete(StorageKey, null, name, version, () => Errors.NotFound("customresourcedefinitions.apiextensions.k8s.io", name, "apiextensions.k8s.io", "customresourcedefinitions")) is not null)
                {
                    StopServing(ctx, group, plural);
                    return;
                }
                continue;
            }
            var updated = crd.Clone();
            updated.Metadata()["finalizers"] = new JsonArray([.. remaining.Select(f => (JsonNode)JsonValue.Create(f)!)]);
            if (store.Update(StorageKey, null, name, updated, version, () => Errors.NotFound("customresourcedefinitions.apiextensions.k8s.io", name, "apiextensions.k8s.io", "customresourcedefinitions")) is not null) return;
        }
    }

    /// <summary>Gone (its finalizer done, or removed by hand): its resource is no longer served. Objects left in storage stay there.</summary>
    public override Task AfterDeleteAsync(JsonObject last, RequestContext ctx)
    {
        StopServing(ctx, last.At("spec", "group").AsString()!, last.At("spec", "names", "plural").AsString()!);
        return Task.CompletedTask;
    }

    /// <summary>The resource is no longer served, and its open watches end, as the real server tears its storage down.</summary>
    private static void StopServing(RequestContext ctx, string group, string plural)
    {
        ctx.Server.Registry.RemoveGroupResource(group, plural);
        ctx.Server.Store.DropWatches($"{group}/{plural}");
    }

    private static void Serve(RequestContext ctx, JsonObject crd)
    {
        var spec = (JsonObject)crd["spec"]!;
        var names = (JsonObject)spec["names"]!;
        foreach (var version in ((JsonArray)spec["versions"]!).OfType<JsonObject>().Where(v => v.Bool("served")))
        {
            var schema = new StructuralSchema((JsonObject)version.At("schema", "openAPIV3Schema")!.DeepClone());
            var statusSubresource = version.At("subresources", "status") is JsonObject;
            var kind = names.Str("kind")!;
            ctx.Server.Registry.Add(new ResourceType
            {
                Group = spec.Str("group")!,
                Version = version.Str("name")!,
                Plural = names.Str("plural")!,
                Singular = names.Str("singular") ?? kind.ToLowerInvariant(),
                Kind = kind,
                Namespaced = spec.Str("scope") == "Namespaced",
                ShortNames = names["shortNames"].StringList(),
                Categories = names["categories"].StringList(),
                BuiltIn = false,
                Subresources = statusSubresource ? [new Subresource("status", kind, ["get", "patch", "update"])] : [],
                Strategy = new CustomResourceStrategy(schema, statusSubresource, CustomResourceStrategy.ColumnsFrom(version["additionalPrinterColumns"]), crd.At("metadata", "name").AsString()!),
            });
        }
    }
}
