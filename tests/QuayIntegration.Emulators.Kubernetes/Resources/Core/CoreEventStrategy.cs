using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

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
