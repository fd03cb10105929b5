using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources;

/// <summary>A printer column of the Table representation kubectl asks for.</summary>
public sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, JsonNode?> Value);

/// <summary>
/// Per-type behaviour plugged into the generic REST flows (defaulting, validation, status handling, field selectors,
/// printer columns, custom verbs), in the spirit of apiserver's RESTCreateStrategy/RESTUpdateStrategy.
/// </summary>
public abstract class ResourceStrategy
{
    protected static readonly IReadOnlySet<string> MetadataFieldNames = new HashSet<string> { "metadata.name", "metadata.namespace" };

    /// <summary><c>metadata.generation</c> starts at 1 and rises with each spec change.</summary>
    public virtual bool TracksGeneration => false;
    /// <summary>Main-resource writes keep the stored status; <c>/status</c> writes change only status.</summary>
    public virtual bool HasStatusSubresource => false;
    /// <summary>PUT without <c>metadata.resourceVersion</c> is rejected with 422 (CRs, Builds).</summary>
    public virtual bool RequiresResourceVersionOnUpdate => false;
    /// <summary>Top-level members kept on write; others are dropped as unknown fields. Null keeps everything.</summary>
    public virtual IReadOnlySet<string>? KnownTopLevelFields => null;
    /// <summary>Merge keys for strategic merge patch; null means the type only accepts JSON and merge patches (415).</summary>
    public virtual StrategicMergeSchema? MergeSchema => StrategicMergeSchema.Common;
    /// <summary>Which lists server-side apply and managedFields treat as associative (by key) or as sets; others are atomic.</summary>
    public virtual StrategicMergeSchema ApplySchema => MergeSchema ?? StrategicMergeSchema.Common;
    public virtual IReadOnlySet<string> SelectableFieldNames => MetadataFieldNames;

    public virtual Dictionary<string, string> SelectableFields(JsonObject obj) => new()
    {
        ["metadata.name"] = obj.At("metadata", "name").AsString() ?? "",
        ["metadata.namespace"] = obj.At("metadata", "namespace").AsString() ?? "",
    };

    public virtual IReadOnlyList<TableColumn> Columns => [];

    /// <summary>Name rules for this type: DNS-1123 subdomain unless a type says otherwise.</summary>
    public virtual string? ValidateName(string name) => NameRules.ValidateDns1123Subdomain(name);

    public virtual void PrepareForCreate(JsonObject obj, RequestContext ctx) { }
    public virtual void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx) { }
    /// <summary>For writes through a subresource other than the main resource (status, approval…): what they may change.</summary>
    public virtual void PrepareForSubresourceUpdate(JsonObject obj, JsonObject old, RequestContext ctx) { }
    /// <summary>
    /// Built-in validating admission plugins of this type: after mutating webhooks and after <see cref="Validate"/>, as
    /// the generic registry store runs the strategy's validation before the validating admission chain.
    /// </summary>
    public virtual void Admit(JsonObject obj, JsonObject? old, RequestContext ctx) { }
    public virtual void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx) { }
    public virtual void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx) { }

    /// <summary>Fields computed by the server on every write (e.g. ImageStream status.dockerImageRepository).</summary>
    public virtual void Decorate(JsonObject obj, RequestContext ctx) { }

    /// <summary>Whether something still holds the object once deletion was requested.</summary>
    public virtual bool HasPendingFinalizers(JsonObject obj) => obj.At("metadata", "finalizers") is JsonArray { Count: > 0 };

    /// <summary>Called when deletion is first requested on an object that finalizers keep alive.</summary>
    public virtual void OnDeletionRequested(JsonObject obj) { }

    /// <summary>Refuses deletions that a real server forbids (e.g. the default namespace).</summary>
    public virtual void CheckDeletable(JsonObject obj) { }

    /// <summary>Refuses creates that a real server forbids at the moment (e.g. of a custom resource whose definition is being deleted).</summary>
    public virtual void CheckCreatable(RequestContext ctx) { }

    /// <summary>Called after a deletion request stored the object marked for deletion (finalizers keep it).</summary>
    public virtual Task AfterDeletionRequestedAsync(JsonObject stored, RequestContext ctx) => Task.CompletedTask;

    public virtual Task AfterCreateAsync(JsonObject stored, RequestContext ctx) => Task.CompletedTask;
    public virtual Task AfterUpdateAsync(JsonObject stored, JsonObject old, RequestContext ctx) => Task.CompletedTask;
    public virtual Task AfterDeleteAsync(JsonObject last, RequestContext ctx) => Task.CompletedTask;

    /// <summary>Custom verbs, subresources and virtual resources; null lets the generic flow run.</summary>
    public virtual Task<ApiResult?> TryHandleAsync(RequestContext ctx) => Task.FromResult<ApiResult?>(null);

    private static readonly HashSet<string> KnownMetadataFields =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    /// <summary>Drops members the type does not define and records their paths (for fieldValidation).</summary>
    public virtual void PruneUnknownFields(JsonObject obj, List<string> unknown)
    {
        if (obj["metadata"] is JsonObject meta)
            foreach (var key in meta.Select(p => p.Key).Where(k => !KnownMetadataFields.Contains(k)).ToList())
            {
                unknown.Add("metadata." + key);
                meta.Remove(key);
            }
        if (KnownTopLevelFields is not { } known) return;
        foreach (var key in obj.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata") && !known.Contains(k)).ToList())
        {
            unknown.Add(key);
            obj.Remove(key);
        }
    }

    /// <summary>For views over another resource's storage (Project over Namespace): where watches read from.</summary>
    public virtual string? BackingStorageKey => null;

    /// <summary>For views: how a stored object of the backing resource looks as this resource.</summary>
    public virtual JsonObject ViewOf(JsonObject stored, ResourceType type) => FromStorage(stored, type);

    /// <summary>
    /// Conversion at the storage boundary, for resources stored in another group's form (the storage version): how a
    /// stored object reads as this resource, and how this resource's object is stored. Identity for most types.
    /// </summary>
    public virtual JsonObject FromStorage(JsonObject stored, ResourceType type) => stored;
    public virtual JsonObject ToStorage(JsonObject obj) => obj;

    /// <summary>The schema published in OpenAPI v3 (custom resources: their structural schema); null = an open object.</summary>
    public virtual JsonObject? OpenApiSchema() => null;

    public virtual bool SpecChanged(JsonObject obj, JsonObject old) => !Json.DeepEquals(obj["spec"], old["spec"]);
}
