using System.Text.Json.Nodes;
using k8s.Models;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// A patch of an object's metadata: finalizers, labels and annotations, computed from the copy the caller read and
/// safe against writers it did not see. Labels and annotations are set or removed key by key (a null value removes
/// it). The finalizer list is a list, which no patch can change element by element without knowing it, so:
/// <list type="bullet">
/// <item>a patch that <b>adds</b> a finalizer is a JSON merge patch (RFC 7386) that replaces the list whole and carries
/// the resourceVersion it was computed from, a precondition the API server checks (409 when the object changed since);</item>
/// <item>a patch that only <b>removes</b> finalizers is a JSON patch (RFC 6902) that tests each removed finalizer at the
/// place it was read before removing it (422 when it moved). Writes that leave the finalizers alone, such as the
/// namespace controller's status updates all through a namespace's deletion, then do not refuse the release they would
/// refuse under a resourceVersion precondition.</item>
/// </list>
/// Either way a refusal means "read again and recompute" (<see cref="IsStale"/>).
/// </summary>
public sealed class MetadataPatch(V1ObjectMeta current)
{
    private readonly JsonObject _metadata = new();
    private List<string>? _finalizers;
    private bool _finalizerAdded;
    private string? _uid;

    public bool IsEmpty => _metadata.Count == 0 && _finalizers is null;

    public MetadataPatch AddFinalizer(string finalizer)
    {
        var list = _finalizers ?? [.. current.Finalizers ?? []];
        if (!list.Contains(finalizer))
        {
            list.Add(finalizer);
            _finalizers = list;
            _finalizerAdded = true;
        }
        return this;
    }

    /// <summary>Removes the finalizer, every copy of it if the list holds it more than once.</summary>
    public MetadataPatch RemoveFinalizer(string finalizer)
    {
        var list = _finalizers ?? [.. current.Finalizers ?? []];
        if (list.RemoveAll(f => f == finalizer) > 0) _finalizers = list;
        return this;
    }

    /// <summary>
    /// Makes the patch apply only to the object it was computed from: its uid goes along, and the API server refuses
    /// to change a uid (422, "field is immutable"). An object deleted and created again under the same name since the
    /// read is then left alone instead of getting what was meant for its predecessor.
    /// </summary>
    public MetadataPatch OnlyOnThisObject()
    {
        _uid = current.Uid;
        return this;
    }

    /// <summary>Sets (or, with null, removes) a label; nothing is written when it already has that value.</summary>
    public MetadataPatch Label(string key, string? value) => Set("labels", current.Labels, key, value);

    /// <summary>Sets (or, with null, removes) an annotation; nothing is written when it already has that value.</summary>
    public MetadataPatch Annotation(string key, string? value) => Set("annotations", current.Annotations, key, value);

    private MetadataPatch Set(string field, IDictionary<string, string>? existing, string key, string? value)
    {
        var present = existing is not null && existing.TryGetValue(key, out var old) ? old : null;
        if (present == value) return this;
        var map = _metadata[field] as JsonObject ?? (JsonObject)(_metadata[field] = new JsonObject());
        map[key] = value;
        return this;
    }

    /// <summary>
    /// Whether the API server refused this patch because the object is no longer as it was read: a resourceVersion
    /// conflict (409), or for a JSON patch a failed test or a missing key (422; the operations are otherwise always
    /// well formed).
    /// </summary>
    public bool IsStale(KubeApiException e) => e.IsConflict || (!UsesMergePatch && e.Status == System.Net.HttpStatusCode.UnprocessableEntity);

    private bool UsesMergePatch => _finalizers is null || _finalizerAdded;

    public V1Patch ToPatch() => UsesMergePatch
        ? new V1Patch(MergePatchJson(), V1Patch.PatchType.MergePatch)
        : new V1Patch(JsonPatchJson(), V1Patch.PatchType.JsonPatch);

    private string MergePatchJson()
    {
        var metadata = (JsonObject)_metadata.DeepClone();
        if (!string.IsNullOrEmpty(_uid)) metadata["uid"] = _uid;
        if (_finalizers is not null)
        {
            metadata["resourceVersion"] = current.ResourceVersion;
            metadata["finalizers"] = new JsonArray(_finalizers.Select(f => (JsonNode)f!).ToArray());
        }
        return new JsonObject { ["metadata"] = metadata }.ToJsonString();
    }

    private string JsonPatchJson()
    {
        var ops = new JsonArray();
        if (!string.IsNullOrEmpty(_uid)) ops.Add(Op("test", "/metadata/uid", _uid));
        // From the last removed place to the first, so that each index still points where it was read.
        var read = current.Finalizers?.ToList() ?? [];
        for (var i = read.Count - 1; i >= 0; i--)
        {
            if (_finalizers!.Contains(read[i])) continue;
            ops.Add(Op("test", $"/metadata/finalizers/{i}", read[i]));
            ops.Add(Op("remove", $"/metadata/finalizers/{i}"));
        }
        AddMapOperations(ops, "labels", current.Labels);
        AddMapOperations(ops, "annotations", current.Annotations);
        return ops.ToJsonString();
    }

    private void AddMapOperations(JsonArray ops, string field, IDictionary<string, string>? read)
    {
        if (_metadata[field] is not JsonObject changes) return;
        if (read is not { Count: > 0 })
        {
            // No map to add keys to when read: one is written whole, which is only safe if nothing changed since.
            var map = new JsonObject();
            foreach (var (key, value) in changes)
                if (value is not null) map[key] = value.DeepClone();
            if (map.Count == 0) return;
            ops.Insert(0, Op("test", "/metadata/resourceVersion", current.ResourceVersion));
            ops.Add(Op("add", $"/metadata/{field}", map));
            return;
        }
        foreach (var (key, value) in changes)
        {
            var path = JsonPointer.Of("metadata", field, key);
            ops.Add(value is null ? Op("remove", path) : Op("add", path, value.DeepClone()));
        }
    }

    private static JsonObject Op(string op, string path, JsonNode? value = null)
    {
        var o = new JsonObject { ["op"] = op, ["path"] = path };
        if (op != "remove") o["value"] = value;
        return o;
    }

    /// <summary>The one-line form for the common case of removing a finalizer.</summary>
    public static MetadataPatch RemoveFinalizer(V1ObjectMeta current, string finalizer) => new MetadataPatch(current).RemoveFinalizer(finalizer);
}
