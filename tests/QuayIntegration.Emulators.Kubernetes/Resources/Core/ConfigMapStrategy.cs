using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

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
