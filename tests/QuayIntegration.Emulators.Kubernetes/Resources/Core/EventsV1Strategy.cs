using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>
/// events.k8s.io/v1 Event: the same objects as core/v1 Events, in one storage (core is the storage version; same
/// names, uids and resourceVersions through both groups, one watch history), converted at the storage boundary as
/// k8s.io/kubernetes/pkg/apis/events/v1/conversion.go does: regarding ↔ involvedObject, note ↔ message,
/// reportingController ↔ reportingComponent, deprecatedSource/deprecatedFirstTimestamp/deprecatedLastTimestamp/
/// deprecatedCount ↔ source/firstTimestamp/lastTimestamp/count; eventTime, series, action, reason, related, type and
/// reportingInstance keep their names. Creating through events.k8s.io/v1 is validated strictly
/// (pkg/apis/core/validation/events.go ValidateEventCreate): eventTime, reportingController, reportingInstance, action
/// and reason are required, type is Normal or Warning, the deprecated fields must be unset.
/// </summary>
public sealed class EventsV1Strategy : ResourceStrategy
{
    private static readonly (string V1, string Core)[] Renamed =
    [
        ("regarding", "involvedObject"), ("note", "message"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"), ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];
    private static readonly HashSet<string> Fields =
    [
        "eventTime", "series", "reportingController", "reportingInstance", "action", "reason", "regarding", "related", "note", "type",
        "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount",
    ];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;

    public override JsonObject FromStorage(JsonObject stored, ResourceType type)
    {
        var obj = Rename(stored, Renamed.Select(r => (r.Core, r.V1)));
        obj["apiVersion"] = type.GroupVersion;
        obj["kind"] = type.Kind;
        return obj;
    }

    public override JsonObject ToStorage(JsonObject obj)
    {
        var stored = Rename(obj, Renamed.Select(r => (r.V1, r.Core)));
        stored["apiVersion"] = "v1";
        stored["kind"] = "Event";
        return stored;
    }

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        if (ctx.Verb != "create") return;
        if (obj["eventTime"] is null) errors.Add(FieldError.Required("eventTime"));
        if (obj.Str("type") is not ("Normal" or "Warning"))
            errors.Add(FieldError.InvalidRendered("type", "\"\"", $"has invalid value: {obj.Str("type")}"));
        foreach (var deprecated in new[] { "deprecatedFirstTimestamp", "deprecatedLastTimestamp" })
            if (obj[deprecated] is not null) errors.Add(FieldError.InvalidRendered(deprecated, "\"\"", "needs to be unset"));
        if (obj.Long("deprecatedCount") is > 0) errors.Add(FieldError.InvalidRendered("deprecatedCount", "\"\"", "needs to be unset"));
        foreach (var required in new[] { "reportingController", "reportingInstance", "action", "reason" })
            if (string.IsNullOrEmpty(obj.Str(required))) errors.Add(FieldError.Required(required));
    }

    private static JsonObject Rename(JsonObject source, IEnumerable<(string From, string To)> renames)
    {
        var result = source.Clone();
        foreach (var (from, to) in renames)
        {
            if (!result.ContainsKey(from)) continue;
            var value = result[from];
            result.Remove(from);
            result[to] = value?.DeepClone();
        }
        return result;
    }
}
