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

    // pkg/apis/core/validation/events.go
    private const int ReportingInstanceLengthLimit = 128, ActionLengthLimit = 128, ReasonLengthLimit = 128, NoteLengthLimit = 1024;

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        if (obj["involvedObject"] is not JsonObject) errors.Add(FieldError.Required("involvedObject"));
        else LegacyValidate(obj, errors, ctx);
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx) => Validate(obj, errors, ctx);

    /// <summary>
    /// legacyValidateEvent: an Event without eventTime lives in its object's namespace ("" or default for a
    /// cluster-scoped object); one with eventTime names who reported it and what was done, within length limits.
    /// </summary>
    private static void LegacyValidate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        var ns = obj.At("metadata", "namespace").AsString() ?? ctx.Namespace ?? "";
        var involved = obj.At("involvedObject", "namespace").AsString() ?? "";
        var mismatch = FieldError.Invalid("involvedObject.namespace", JsonValue.Create(involved), "does not match event.namespace");
        if (string.IsNullOrEmpty(obj.Str("eventTime")))
        {
            if (involved.Length == 0 ? ns is not ("" or "default") : ns != involved) errors.Add(mismatch);
            return;
        }
        if (involved.Length == 0 && ns is not ("default" or "kube-system")) errors.Add(mismatch);
        if (string.IsNullOrEmpty(obj.Str("reportingComponent"))) errors.Add(FieldError.Required("reportingComponent"));
        Required(obj, "reportingInstance", ReportingInstanceLengthLimit, errors);
        Required(obj, "action", ActionLengthLimit, errors);
        Required(obj, "reason", ReasonLengthLimit, errors);
        if ((obj.Str("message") ?? "").Length > NoteLengthLimit)
            errors.Add(FieldError.InvalidRendered("message", "\"\"", $"can have at most {NoteLengthLimit} characters"));
    }

    private static void Required(JsonObject obj, string field, int limit, List<FieldError> errors)
    {
        var value = obj.Str(field) ?? "";
        if (value.Length == 0) errors.Add(FieldError.Required(field));
        if (value.Length > limit) errors.Add(FieldError.InvalidRendered(field, "\"\"", $"can have at most {limit} characters"));
    }
}
