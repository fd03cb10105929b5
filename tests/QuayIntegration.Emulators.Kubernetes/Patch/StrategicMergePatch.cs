using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>
/// Strategic merge patch for compiled-in types (k8s.io/apimachinery/pkg/util/strategicpatch/patch.go mergeMap and
/// mergeSlice): objects merge, keyed lists merge by their merge key (<see cref="BuiltInPatchMetadata"/>), set-like
/// primitive lists union, other lists are replaced. Directives are consumed and never stored: <c>$patch</c>
/// (<c>replace</c>/<c>delete</c>/<c>merge</c> on a map or a list element), <c>$retainKeys</c> (fields of the original
/// not listed are cleared before merging), <c>$setElementOrder/&lt;list&gt;</c>, <c>$deleteFromPrimitiveList/&lt;list&gt;</c>.
/// A keyed-list element without its merge key is a 400, as mergepatch.ErrNoMergeKey is.
/// </summary>
public static class StrategicMergePatch
{
    private const string SetElementOrderPrefix = "$setElementOrder/";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

    public static JsonObject Apply(JsonObject original, JsonObject patch, StrategicMergeSchema schema) =>
        MergeObject(original.Clone(), patch, "", schema) ?? new JsonObject();

    private static JsonObject? MergeObject(JsonObject target, JsonObject patch, string path, StrategicMergeSchema schema)
    {
        switch (patch.Str("$patch"))
        {
            case "delete": return null;
            case "replace": return StripDirectives(patch) as JsonObject;
            case null or "merge": break;
            case var other: throw Errors.BadRequest($"Unknown patch type: {other}");
        }
        if (patch["$retainKeys"] is JsonArray retain)
        {
            // mergeMap: "clear the fields of the original that are not in $retainKeys" before merging the rest.
            var keep = retain.StringList().ToHashSet();
            foreach (var key in target.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList()) target.Remove(key);
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith('$')) continue;
            var childPath = path.Length == 0 ? key : path + "." + key;
            if (value is null) { target.Remove(key); continue; }
            switch (value)
            {
                case JsonObject childPatch:
                    var merged = MergeObject(target[key] as JsonObject ?? new JsonObject(), childPatch, childPath, schema);
                    if (merged is null) target.Remove(key); else target[key] = merged;
                    break;
                case JsonArray listPatch when schema.TryGetList(childPath, out var mergeKey):
                    target[key] = MergeList(target[key] as JsonArray ?? [], listPatch, mergeKey, childPath, schema);
                    break;
                default:
                    target[key] = StripDirectives(value);
                    break;
            }
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal) && target[key[DeleteFromPrimitiveListPrefix.Length..]] is JsonArray list)
            {
                var doomed = value as JsonArray ?? [];
                foreach (var item in list.Where(i => doomed.Any(d => Json.DeepEquals(d, i))).ToList()) list.Remove(item);
            }
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal) && target[key[SetElementOrderPrefix.Length..]] is JsonArray list && value is JsonArray order)
            {
                var childPath = path.Length == 0 ? key[SetElementOrderPrefix.Length..] : path + "." + key[SetElementOrderPrefix.Length..];
                schema.TryGetList(childPath, out var mergeKey);
                target[key[SetElementOrderPrefix.Length..]] = Reorder(list, order, mergeKey);
            }
        }
        return target;
    }

    private static JsonArray MergeList(JsonArray target, JsonArray patch, string? mergeKey, string path, StrategicMergeSchema schema)
    {
        if (patch.OfType<JsonObject>().Any(o => o.Str("$patch") == "replace"))
            return new JsonArray(patch.Where(e => !(e is JsonObject o && o.Str("$patch") == "replace")).Select(StripDirectives).ToArray());
        var result = new JsonArray(target.Select(e => e?.DeepClone()).ToArray());
        foreach (var element in patch)
        {
            if (mergeKey is null)
            {
                if (!result.Any(e => Json.DeepEquals(e, element))) result.Add(element?.DeepClone());
                continue;
            }
            if (element is not JsonObject elementPatch) throw Errors.BadRequest($"{path}: list element is not an object");
            if (!elementPatch.ContainsKey(mergeKey))
                throw Errors.BadRequest($"map: {GoFormat.Value(elementPatch)} does not contain declared merge key: {mergeKey}");
            var keyValue = elementPatch[mergeKey];
            var existing = result.OfType<JsonObject>().FirstOrDefault(e => Json.DeepEquals(e[mergeKey], keyValue));
            if (elementPatch.Str("$patch") == "delete")
            {
                if (existing is not null) result.Remove(existing);
                continue;
            }
            if (existing is null) result.Add(StripDirectives(elementPatch));
            else
            {
                var index = result.IndexOf(existing);
                result[index] = MergeObject((JsonObject)existing.DeepClone(), elementPatch, path, schema);
            }
        }
        return result;
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        JsonNode? Identity(JsonNode? e) => mergeKey is null ? e : e?[mergeKey];
        var ordered = new List<JsonNode?>();
        foreach (var wanted in order)
        {
            var match = list.FirstOrDefault(e => Json.DeepEquals(Identity(e), mergeKey is null ? wanted : wanted?[mergeKey]));
            if (match is not null && !ordered.Contains(match)) ordered.Add(match);
        }
        ordered.AddRange(list.Where(e => !ordered.Contains(e)));
        return new JsonArray(ordered.Select(e => e?.DeepClone()).ToArray());
    }

    /// <summary>Removes directive members from patch content that is stored as-is.</summary>
    private static JsonNode? StripDirectives(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (k, v) in o)
                    if (!k.StartsWith('$')) copy[k] = StripDirectives(v);
                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(StripDirectives).ToArray());
            default:
                return node?.DeepClone();
        }
    }
}
