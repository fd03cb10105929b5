using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.ApiExtensions;

/// <summary>
/// apiextensions.k8s.io/v1 CustomResourceDefinition: validates the definition, reports it Established, and starts (or
/// stops) serving its resource with the schema's pruning, defaults and validation.
/// </summary>
public sealed class CustomResourceDefinitionStrategy : ResourceStrategy
{
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
        obj["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
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

    public override Task AfterDeleteAsync(JsonObject last, RequestContext ctx)
    {
        var group = last.At("spec", "group").AsString()!;
        var plural = last.At("spec", "names", "plural").AsString()!;
        ctx.Server.Registry.RemoveGroupResource(group, plural);
        // Deleting a CRD deletes all its custom resources.
        var key = $"{group}/{plural}";
        foreach (var item in ctx.Server.Store.List(key, null).Items)
        {
            var meta = item.Metadata();
            ctx.Server.Store.Delete(key, meta.Str("namespace"), meta.Str("name")!, meta.Str("resourceVersion")!, () => Errors.NotFound(plural, meta.Str("name")!, group, plural));
        }
        return Task.CompletedTask;
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
                Strategy = new CustomResourceStrategy(schema, statusSubresource, CustomResourceStrategy.ColumnsFrom(version["additionalPrinterColumns"])),
            });
        }
    }
}
