using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime.Tests.Unit;

public class MetadataPatchTests
{
    private static readonly V1ObjectMeta Current = new()
    {
        Name = "team-a", ResourceVersion = "17", Finalizers = ["kubernetes", "other"],
        Labels = new Dictionary<string, string> { ["keep"] = "1", ["quay.redhat.com/managed"] = "pending" },
        Annotations = new Dictionary<string, string> { ["a"] = "x" },
    };

    private static JsonObject Metadata(MetadataPatch patch) => JsonNode.Parse(patch.ToJson())!["metadata"]!.AsObject();

    [Fact]
    public void A_finalizer_change_writes_the_whole_list_under_the_resource_version_it_was_computed_from()
    {
        var metadata = Metadata(new MetadataPatch(Current).AddFinalizer("quay.redhat.com/quayintegrations"));
        Assert.Equal("17", metadata["resourceVersion"]!.GetValue<string>());
        Assert.Equal(["kubernetes", "other", "quay.redhat.com/quayintegrations"], metadata["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal(["kubernetes"], Metadata(new MetadataPatch(Current).RemoveFinalizer("other"))["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
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
    public void Nothing_to_change_is_an_empty_patch()
    {
        var patch = new MetadataPatch(Current).AddFinalizer("kubernetes").Label("keep", "1").Annotation("absent", null).RemoveFinalizer("absent");
        Assert.True(patch.IsEmpty);
    }
}
