using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>core/v1 ServiceAccount: <c>secrets</c> merges by name under strategic merge patch; <c>imagePullSecrets</c> is atomic.</summary>
public sealed class ServiceAccountStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["secrets", "imagePullSecrets", "automountServiceAccountToken"];
    private static readonly StrategicMergeSchema Schema = StrategicMergeSchema.Common.With(("secrets", "name"));
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override StrategicMergeSchema? MergeSchema => Schema;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Secrets", "integer", "", "Number of secrets", 0, o => (o["secrets"] as JsonArray)?.Count ?? 0)];
}

/// <summary>core/v1 ConfigMap: keys must be valid config keys.</summary>
public sealed class ConfigMapStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["data", "binaryData", "immutable"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Data", "integer", "", "Number of data entries", 0, o => ((o["data"] as JsonObject)?.Count ?? 0) + ((o["binaryData"] as JsonObject)?.Count ?? 0))];

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        foreach (var member in new[] { "data", "binaryData" })
            if (obj[member] is JsonObject data)
                foreach (var key in data.Select(p => p.Key))
                    if (!NameRules.IsConfigKey(key))
                        errors.Add(FieldError.Invalid($"{member}[{key}]", JsonValue.Create(key), "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx)
    {
        if (old.Bool("immutable") && (!Json.DeepEquals(obj["data"], old["data"]) || !Json.DeepEquals(obj["binaryData"], old["binaryData"])))
            errors.Add(FieldError.Forbidden("data", "field is immutable when `immutable` is set"));
    }
}

/// <summary>core/v1 Event, with its involvedObject field selectors.</summary>
public sealed class CoreEventStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Selectable =
    [
        "metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    ];
    public override IReadOnlySet<string> SelectableFieldNames => Selectable;

    public override Dictionary<string, string> SelectableFields(JsonObject obj)
    {
        var fields = base.SelectableFields(obj);
        foreach (var f in new[] { "kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath" })
            fields["involvedObject." + f] = obj.At("involvedObject", f).AsString() ?? "";
        fields["reason"] = obj.Str("reason") ?? "";
        fields["reportingComponent"] = obj.Str("reportingComponent") ?? "";
        fields["source"] = obj.At("source", "component").AsString() ?? "";
        fields["type"] = obj.Str("type") ?? "";
        return fields;
    }

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        if (obj["involvedObject"] is not JsonObject) errors.Add(FieldError.Required("involvedObject"));
    }
}

/// <summary>Types with no server rules beyond the common metadata ones (events.k8s.io Event, Lease).</summary>
public sealed class PlainStrategy(IReadOnlySet<string>? knownFields = null, bool tracksGeneration = false) : ResourceStrategy
{
    public override IReadOnlySet<string>? KnownTopLevelFields => knownFields;
    public override bool TracksGeneration => tracksGeneration;
}

/// <summary>coordination.k8s.io/v1 Lease: <c>leaseDurationSeconds</c> must be positive when set.</summary>
public sealed class LeaseStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["spec"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Holder", "string", "", "The holder of the lease", 0, o => o.At("spec", "holderIdentity")?.DeepClone())];

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        if (obj.At("spec").Long("leaseDurationSeconds") is <= 0 and var d)
            errors.Add(FieldError.Invalid("spec.leaseDurationSeconds", JsonValue.Create(d), "must be greater than 0"));
    }
}
