using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.ApiExtensions;

/// <summary>One served version of a CRD: schema pruning/defaulting/validation, generation, status subresource, printer columns.</summary>
public sealed class CustomResourceStrategy(StructuralSchema schema, bool statusSubresource, IReadOnlyList<TableColumn> columns, string definitionName) : ResourceStrategy
{
    /// <summary>
    /// apiextensions-apiserver's customresource_handler.go: no create while the definition is being deleted, and none
    /// once it is gone (a request that found the resource served just before must not land in storage nobody serves).
    /// </summary>
    public override void CheckCreatable(RequestContext ctx)
    {
        var definition = ctx.Server.Store.Get(CustomResourceDefinitionStrategy.StorageKey, null, definitionName);
        if (definition is null) throw Errors.NotFound(ctx.Type.QualifiedResource, ctx.Name ?? "", ctx.Type.Group, ctx.Type.Plural);
        if (definition.At("metadata", "deletionTimestamp") is not null)
            throw Errors.MethodNotAllowed("create not allowed while custom resource definition is terminating");
    }

    /// <summary>The last custom resource of a definition being deleted lets the definition go.</summary>
    public override Task AfterDeleteAsync(JsonObject last, RequestContext ctx)
    {
        CustomResourceDefinitionStrategy.CompleteDeletion(ctx, ctx.Type.Group, ctx.Type.Plural);
        return Task.CompletedTask;
    }

    public override bool TracksGeneration => true;
    public override bool HasStatusSubresource => statusSubresource;
    public override bool RequiresResourceVersionOnUpdate => true;
    public override StrategicMergeSchema? MergeSchema => null;
    private readonly StrategicMergeSchema _applySchema = schema.ListSchema();
    /// <summary>Server-side apply follows the schema's x-kubernetes-list-type (map by its first key, set); other lists are atomic.</summary>
    public override StrategicMergeSchema ApplySchema => _applySchema;
    public override IReadOnlyList<TableColumn> Columns => columns;
    public override JsonObject? OpenApiSchema() => schema.Root;

    public override void PruneUnknownFields(JsonObject obj, List<string> unknown)
    {
        base.PruneUnknownFields(obj, unknown);
        schema.Prune(obj, unknown);
    }

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx) => schema.ApplyDefaults(obj);
    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx) => schema.ApplyDefaults(obj);

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx) => schema.Validate(obj, errors);

    /// <summary>Without a status subresource every non-metadata change counts, as in apiextensions-apiserver.</summary>
    public override bool SpecChanged(JsonObject obj, JsonObject old)
    {
        if (statusSubresource) return base.SpecChanged(obj, old);
        var a = obj.Clone();
        var b = old.Clone();
        a.Remove("metadata");
        b.Remove("metadata");
        return !Json.DeepEquals(a, b);
    }

    public static IReadOnlyList<TableColumn> ColumnsFrom(JsonNode? printerColumns)
    {
        if (printerColumns is not JsonArray list) return [];
        return list.OfType<JsonObject>().Select(c =>
        {
            var path = c.Str("jsonPath") ?? "";
            return new TableColumn(c.Str("name") ?? "", c.Str("type") ?? "string", c.Str("format") ?? "", c.Str("description") ?? "",
                (int)(c.Long("priority") ?? 0), o => SimpleJsonPath.Evaluate(o, path));
        }).ToList();
    }
}
