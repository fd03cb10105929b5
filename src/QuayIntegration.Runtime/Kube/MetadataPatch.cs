using System.Text.Json.Nodes;
using k8s.Models;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// JSON merge patches (RFC 7386) of an object's metadata: finalizers, labels and annotations. A patch that changes the
/// finalizers carries the resourceVersion it was computed from, which the API server treats as a precondition (409
/// when the object changed since), because a merge patch replaces the finalizer list whole and must never be computed
/// from a stale read. Labels and annotations are set or removed key by key (a null value removes it), which is safe
/// against concurrent writers without a precondition.
/// </summary>
public sealed class MetadataPatch(V1ObjectMeta current)
{
    private readonly JsonObject _metadata = new();
    private List<string>? _finalizers;
    private string? _uid;

    private bool _guarded;

    public bool IsEmpty => ChangesNothing && !_guarded;

    /// <summary>Nothing in the object would change (a <see cref="Guarded"/> patch is still written, to confirm the version).</summary>
    public bool ChangesNothing => _metadata.Count == 0 && _finalizers is null;

    /// <summary>
    /// The patch carries the resourceVersion it was computed from whatever it changes, and is written even when it
    /// changes nothing: its success proves the object was as read, which a decision taken from a possibly lagging copy
    /// (that a finalizer is gone, say) needs.
    /// </summary>
    public MetadataPatch Guarded()
    {
        _guarded = true;
        return this;
    }

    public MetadataPatch AddFinalizer(string finalizer)
    {
        var list = _finalizers ?? [.. current.Finalizers ?? []];
        if (!list.Contains(finalizer))
        {
            list.Add(finalizer);
            _finalizers = list;
        }
        return this;
    }

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

    public V1Patch ToPatch() => new(ToJson(), V1Patch.PatchType.MergePatch);

    public string ToJson()
    {
        var metadata = (JsonObject)_metadata.DeepClone();
        if (!string.IsNullOrEmpty(_uid)) metadata["uid"] = _uid;
        if (_finalizers is not null || _guarded) metadata["resourceVersion"] = current.ResourceVersion;
        if (_finalizers is not null) metadata["finalizers"] = new JsonArray(_finalizers.Select(f => (JsonNode)f!).ToArray());
        return new JsonObject { ["metadata"] = metadata }.ToJsonString();
    }

    /// <summary>The one-line form for the common case of removing a finalizer.</summary>
    public static MetadataPatch RemoveFinalizer(V1ObjectMeta current, string finalizer) => new MetadataPatch(current).RemoveFinalizer(finalizer);
}
