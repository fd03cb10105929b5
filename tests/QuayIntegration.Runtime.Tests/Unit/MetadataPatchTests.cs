using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime.Tests.Unit;

public class MetadataPatchTests
{
    private static readonly V1ObjectMeta Current = new()
    {
        Name = "team-a", ResourceVersion = "17", Uid = "u-1", Finalizers = ["kubernetes", "other"],
        Labels = new Dictionary<string, string> { ["keep"] = "1", ["quay.redhat.com/managed"] = "pending" },
        Annotations = new Dictionary<string, string> { ["a"] = "x" },
    };

    private static JsonObject Metadata(MetadataPatch patch)
    {
        var body = patch.ToPatch();
        Assert.Equal(V1Patch.PatchType.MergePatch, body.Type);
        return JsonNode.Parse((string)body.Content)!["metadata"]!.AsObject();
    }

    /// <summary>The object as stored: what was read, then what <paramref name="change"/> did since.</summary>
    private static JsonNode Stored(Action<V1ObjectMeta>? change = null)
    {
        var meta = KubernetesJson.Deserialize<V1ObjectMeta>(KubernetesJson.Serialize(Current));
        change?.Invoke(meta);
        return JsonNode.Parse(KubernetesJson.Serialize(new V1Namespace { Metadata = meta }))!;
    }

    /// <summary>Applies a JSON patch as the API server does (the emulated one's RFC 6902 implementation).</summary>
    private static JsonObject ApplyJsonPatch(MetadataPatch patch, JsonNode stored)
    {
        var body = patch.ToPatch();
        Assert.Equal(V1Patch.PatchType.JsonPatch, body.Type);
        return JsonPatch.Apply(stored, JsonPatch.ParseOperations((string)body.Content))["metadata"]!.AsObject();
    }

    private static string[] Finalizers(JsonObject metadata) => metadata["finalizers"]?.AsArray().Select(f => f!.GetValue<string>()).ToArray() ?? [];

    [Fact]
    public void Adding_a_finalizer_writes_the_whole_list_under_the_resource_version_it_was_computed_from()
    {
        var metadata = Metadata(new MetadataPatch(Current).AddFinalizer("quay.redhat.com/quayintegrations"));
        Assert.Equal("17", metadata["resourceVersion"]!.GetValue<string>());
        Assert.Equal(["kubernetes", "other", "quay.redhat.com/quayintegrations"], Finalizers(metadata));
    }

    [Fact]
    public void Removing_a_finalizer_tests_it_where_it_was_read_and_ignores_other_changes()
    {
        var patch = new MetadataPatch(Current).RemoveFinalizer("kubernetes").Label("quay.redhat.com/managed", null).Annotation("a", null);
        // A status write (a new resourceVersion) and a label someone added since do not refuse it.
        var metadata = ApplyJsonPatch(patch, Stored(m => { m.ResourceVersion = "18"; m.Labels["new"] = "n"; }));
        Assert.Equal(["other"], Finalizers(metadata));
        Assert.Equal(new[] { "keep", "new" }, metadata["labels"]!.AsObject().Select(p => p.Key).Order());
        Assert.False(metadata.ContainsKey("annotations") && metadata["annotations"]!.AsObject().ContainsKey("a"));
    }

    [Fact]
    public void A_removal_computed_from_a_list_that_changed_since_is_refused_not_applied_elsewhere()
    {
        var patch = new MetadataPatch(Current).RemoveFinalizer("kubernetes");
        // Someone put a finalizer in front: index 0 now holds theirs, which must not be removed.
        Assert.Throws<JsonPatch.PatchFailedException>(() => ApplyJsonPatch(patch, Stored(m => m.Finalizers.Insert(0, "theirs"))));
        // Someone removed a label this patch removes: refused too, and judged stale.
        var release = new MetadataPatch(Current).RemoveFinalizer("other").Label("keep", null);
        Assert.Throws<JsonPatch.PatchFailedException>(() => ApplyJsonPatch(release, Stored(m => m.Labels.Remove("keep"))));
        Assert.True(release.IsStale(new KubeApiException(HttpStatusCode.UnprocessableEntity, "Invalid", "testing value /metadata/finalizers/1 failed")));
        Assert.True(release.IsStale(new KubeApiException(HttpStatusCode.Conflict, "Conflict", "")));
        // A merge patch's 422 is something else (an immutable field), not a stale read.
        Assert.False(new MetadataPatch(Current).AddFinalizer("x").IsStale(new KubeApiException(HttpStatusCode.UnprocessableEntity, "Invalid", "")));
    }

    [Fact]
    public void Every_copy_of_a_removed_finalizer_goes_and_the_uid_is_tested()
    {
        var twice = new V1ObjectMeta { Name = "n", ResourceVersion = "3", Uid = "u-1", Finalizers = ["mine", "other", "mine"] };
        var patch = new MetadataPatch(twice).RemoveFinalizer("mine").OnlyOnThisObject();
        var stored = JsonNode.Parse(KubernetesJson.Serialize(new V1Namespace { Metadata = twice }))!;
        Assert.Equal(["other"], Finalizers(ApplyJsonPatch(patch, stored)));
        stored["metadata"]!["uid"] = "u-2";
        Assert.Throws<JsonPatch.PatchFailedException>(() => ApplyJsonPatch(patch, stored));
    }

    [Fact]
    public void Labels_and_annotations_are_set_key_by_key_without_a_precondition_and_null_removes()
    {
        var metadata = Metadata(new MetadataPatch(Current).Label("quay.redhat.com/managed", "true").Annotation("a", null));
        Assert.False(metadata.ContainsKey("resourceVersion"));
        Assert.False(metadata.ContainsKey("finalizers"));
        Assert.Equal("true", metadata["labels"]!["quay.redhat.com/managed"]!.GetValue<string>());
        Assert.False(metadata["labels"]!.AsObject().ContainsKey("keep"));
        Assert.True(metadata["annotations"]!.AsObject().ContainsKey("a"));
        Assert.Null(metadata["annotations"]!["a"]);
    }

    [Fact]
    public void A_label_set_beside_a_finalizer_removal_into_a_map_not_read_is_guarded_by_the_resource_version()
    {
        var bare = new V1ObjectMeta { Name = "n", ResourceVersion = "3", Finalizers = ["mine"] };
        var patch = new MetadataPatch(bare).RemoveFinalizer("mine").Label("l", "v");
        var stored = JsonNode.Parse(KubernetesJson.Serialize(new V1Namespace { Metadata = bare }))!;
        var metadata = ApplyJsonPatch(patch, stored);
        Assert.Equal("v", metadata["labels"]!["l"]!.GetValue<string>());
        // Labels someone wrote since would be replaced whole: the resourceVersion test refuses instead.
        stored["metadata"]!["resourceVersion"] = "4";
        stored["metadata"]!["labels"] = new JsonObject { ["theirs"] = "t" };
        Assert.Throws<JsonPatch.PatchFailedException>(() => ApplyJsonPatch(patch, stored));
    }

    [Fact]
    public void Nothing_to_change_is_an_empty_patch()
    {
        var patch = new MetadataPatch(Current).AddFinalizer("kubernetes").Label("keep", "1").Annotation("absent", null).RemoveFinalizer("absent");
        Assert.True(patch.IsEmpty);
    }
}
