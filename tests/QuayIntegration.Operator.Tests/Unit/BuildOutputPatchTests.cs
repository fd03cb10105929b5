using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// The patch for every shape of Build output, applied with the emulated API server's RFC 6902 implementation (parents
/// must exist, replace/remove need their target), which is what makes a real API server answer 500 otherwise.
/// </summary>
public class BuildOutputPatchTests
{
    private static readonly QuayImageReference Image = new("quay.example.com:8443", "openshift_demo", "app", "v1");
    private static readonly ImageStreamTagReference Destination = new("demo", "app", "v1");

    private static JsonElement Build(string? metadataExtra = null, string? outputJson = """{"to":{"kind":"ImageStreamTag","name":"app:v1"}}""")
    {
        var metadata = "\"name\":\"app-1\",\"namespace\":\"demo\"" + (metadataExtra is null ? "" : "," + metadataExtra);
        var output = outputJson is null ? "" : ",\"output\":" + outputJson;
        var json = "{\"apiVersion\":\"build.openshift.io/v1\",\"kind\":\"Build\",\"metadata\":{" + metadata + "}," +
                   "\"spec\":{\"strategy\":{\"type\":\"Source\",\"sourceStrategy\":{\"from\":{\"kind\":\"DockerImage\",\"name\":\"httpd\"}}}" + output + "}}";

        return JsonSerializer.Deserialize<JsonElement>(json); // a copy of its own: no pooled document left undisposed
    }

    private static JsonObject Patched(JsonElement build) =>
        JsonPatch.Apply(JsonNode.Parse(build.GetRawText())!, PatchDocument(BuildOutputPatch.For(build, Image, Destination)).AsArray()).AsObject();

    /// <summary>The patch as the webhook writes it (<see cref="JsonPatchOperation.WriteAll"/>), parsed back.</summary>
    private static JsonNode PatchDocument(IReadOnlyList<JsonPatchOperation> patch)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output)) JsonPatchOperation.WriteAll(writer, patch);
        return JsonNode.Parse(output.WrittenSpan)!;
    }

    private static void AssertRewritten(JsonObject patched)
    {
        var to = patched["spec"]!["output"]!["to"]!.AsObject();
        Assert.Equal("DockerImage", to["kind"]!.GetValue<string>());
        Assert.Equal("quay.example.com:8443/openshift_demo/app:v1", to["name"]!.GetValue<string>());
        Assert.False(to.ContainsKey("namespace"));
        var annotations = patched["metadata"]!["annotations"]!.AsObject();
        Assert.Equal("true", annotations["quay-registry-operator.quay.redhat.com/quay-registry-operator-managed"]!.GetValue<string>());
        Assert.Equal("demo/app:v1", annotations["quay-registry-operator.quay.redhat.com/destination-imagestream"]!.GetValue<string>());
        Assert.Equal("true", patched["metadata"]!["labels"]!["quay.redhat.com/managed-build"]!.GetValue<string>());
    }

    private const string ImportedKey = "quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported";

    [Theory]
    [InlineData("\"true\"")]
    [InlineData("null")]
    [InlineData("\"\"")]
    public void The_imported_mark_is_removed_with_an_escaped_pointer_that_applies_whatever_its_value(string value)
    {
        var build = Build($"\"annotations\":{{\"{ImportedKey}\":{value},\"keep\":\"x\"}}", """{"to":{"kind":"DockerImage","name":"quay.example.com:8443/openshift_demo/app:v1"}}""");
        var decision = BuildOutputPatch.DropImportMarks(build, AdmissionDecision.Untouched(AdmissionOutcome.NotImageStreamTag));
        Assert.Equal(AdmissionOutcome.NotImageStreamTag, decision.Outcome);
        var remove = Assert.Single(decision.Patch!);
        Assert.Equal("remove", remove.Op);
        Assert.Equal("/metadata/annotations/quay-registry-operator.quay.redhat.com~1destination-imagestreamtag-imported", remove.Path);
        var patched = JsonPatch.Apply(JsonNode.Parse(build.GetRawText())!, PatchDocument(decision.Patch!).AsArray()).AsObject();
        Assert.False(patched["metadata"]!["annotations"]!.AsObject().ContainsKey(ImportedKey));
        Assert.Equal("x", patched["metadata"]!["annotations"]!["keep"]!.GetValue<string>());
    }

    [Fact]
    public void The_imported_mark_is_removed_after_the_rewrite_and_nothing_is_added_when_it_is_absent()
    {
        var marked = Build($"\"annotations\":{{\"{ImportedKey}\":\"true\"}}");
        var rewrite = AdmissionDecision.Patched(BuildOutputPatch.For(marked, Image, Destination));
        var decision = BuildOutputPatch.DropImportMarks(marked, rewrite);
        var patched = JsonPatch.Apply(JsonNode.Parse(marked.GetRawText())!, PatchDocument(decision.Patch!).AsArray()).AsObject();
        AssertRewritten(patched);
        Assert.False(patched["metadata"]!["annotations"]!.AsObject().ContainsKey(ImportedKey));

        // A Rebuild of a Build skipped as superseded loses that mark too: the new Build has a new image to import.
        var skipped = Build($"\"annotations\":{{\"{ImportedKey}\":\"true\",\"quay.redhat.com/import-skipped\":\"superseded\"}}");
        var bothRemoved = BuildOutputPatch.DropImportMarks(skipped, AdmissionDecision.Untouched(AdmissionOutcome.NotImageStreamTag));
        Assert.Equal(["/metadata/annotations/quay-registry-operator.quay.redhat.com~1destination-imagestreamtag-imported", "/metadata/annotations/quay.redhat.com~1import-skipped"],
            bothRemoved.Patch!.Select(op => op.Path));
        Assert.Empty(JsonPatch.Apply(JsonNode.Parse(skipped.GetRawText())!, PatchDocument(bothRemoved.Patch!).AsArray())["metadata"]!["annotations"]!.AsObject());

        var unmarked = Build();
        Assert.Same(rewrite, BuildOutputPatch.DropImportMarks(unmarked, rewrite));
        var untouched = AdmissionDecision.Untouched(AdmissionOutcome.NotImageStreamTag);
        Assert.Null(BuildOutputPatch.DropImportMarks(Build("\"annotations\":{}"), untouched).Patch);
    }

    [Fact]
    public void Build_without_annotations_or_labels_gets_whole_maps()
    {
        var build = Build();
        var patch = BuildOutputPatch.For(build, Image, Destination);
        Assert.Contains(patch, op => op.Path == "/metadata/annotations" && op.Op == "add");
        AssertRewritten(Patched(build));
    }

    [Fact]
    public void Build_with_annotations_keeps_them_and_adds_escaped_keys()
    {
        var build = Build("""
            "annotations":{"openshift.io/build.number":"1","quay-registry-operator.quay.redhat.com/destination-imagestream":"stale"},
            "labels":{"buildconfig":"app"}
            """);
        var patch = BuildOutputPatch.For(build, Image, Destination);
        Assert.Contains(patch, op => op.Path ==
            "/metadata/annotations/quay-registry-operator.quay.redhat.com~1quay-registry-operator-managed");
        var patched = Patched(build);
        AssertRewritten(patched);
        Assert.Equal("1", patched["metadata"]!["annotations"]!["openshift.io/build.number"]!.GetValue<string>());
        Assert.Equal("app", patched["metadata"]!["labels"]!["buildconfig"]!.GetValue<string>());
    }

    [Fact]
    public void Null_annotation_map_is_replaced_whole()
    {
        var build = Build("\"annotations\":null");
        AssertRewritten(Patched(build));
    }

    [Fact]
    public void Null_label_map_and_null_output_namespace_are_replaced_and_removed()
    {
        var build = Build("\"labels\":null", """{"to":{"kind":"ImageStreamTag","name":"app:v1","namespace":null}}""");
        var patch = BuildOutputPatch.For(build, Image, Destination);
        Assert.Contains(patch, op => op.Path == "/metadata/labels" && op.Op == "add" && op.Map is not null);
        Assert.Contains(patch, op => op.Path == "/spec/output/to/namespace" && op.Op == "remove");
        AssertRewritten(Patched(build));
    }

    [Fact]
    public void Output_namespace_is_removed_only_when_present()
    {
        var other = Build(outputJson: """{"to":{"kind":"ImageStreamTag","name":"app:v1","namespace":"shared"}}""");
        Assert.Contains(BuildOutputPatch.For(other, Image, Destination), op => op.Op == "remove");
        AssertRewritten(Patched(other));

        var own = Build();
        Assert.DoesNotContain(BuildOutputPatch.For(own, Image, Destination), op => op.Op == "remove");
        AssertRewritten(Patched(own));
    }

    [Fact]
    public void Push_secret_and_other_output_fields_are_kept()
    {
        var build = Build(outputJson: """{"to":{"kind":"ImageStreamTag","name":"app:v1"},"pushSecret":{"name":"mine"},"imageLabels":[{"name":"a","value":"b"}]}""");
        var patched = Patched(build);
        AssertRewritten(patched);
        Assert.Equal("mine", patched["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        Assert.Single(patched["spec"]!["output"]!["imageLabels"]!.AsArray());
    }

    [Fact]
    public void Builds_without_an_output_to_rewrite_are_refused()
    {
        Assert.Throws<ArgumentException>(() => BuildOutputPatch.For(Build(outputJson: null), Image, Destination));
        Assert.Throws<ArgumentException>(() => BuildOutputPatch.For(Build(outputJson: "{}"), Image, Destination));
    }

    [Theory]
    [InlineData(null, null)]                                                                    // no spec.output
    [InlineData("{}", null)]                                                                    // spec.output without to
    [InlineData("""{"to":null}""", null)]                                                       // to: null
    [InlineData("""{"to":{"kind":"DockerImage","name":"quay.io/x/y:1"}}""", null)]              // already a DockerImage
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app:v2"}}""", "demo/app:v2")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app:v2","namespace":""}}""", "demo/app:v2")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app:v2","namespace":"shared"}}""", "shared/app:v2")]
    // An empty tag is what OpenShift's validation and build controller read as latest (SplitImageStreamTag).
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app:"}}""", "demo/app:latest")]
    public void Output_target_is_found_for_every_valid_shape(string? output, string? expected)
    {
        var target = BuildOutputTarget.Find(Build(outputJson: output), "demo");
        Assert.Equal(expected, (target as BuildOutput.ImageStreamTag)?.Destination.ToString());
        if (expected is null) Assert.IsType<BuildOutput.NotImageStreamTag>(target);
    }

    // Invalid outputs are never "repaired" (no implied latest for a name without ':'): they are left to the API server, with the problem named.
    [Theory]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":""}}""", "needs a name")]
    [InlineData("""{"to":{"kind":"ImageStreamTag"}}""", "needs a name")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"notag"}}""", "ImageStreamTag 'notag' has no tag")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app:-bad"}}""", "tag '-bad' is invalid")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app:v1:v2"}}""", "has more than one ':'")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app@sha256:0123"}}""", "names a digest")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"App:v1"}}""", "ImageStream name 'App' is invalid")]
    [InlineData("""{"to":{"kind":"ImageStreamTag","name":"app:v1","namespace":"Other"}}""", "namespace 'Other' is invalid")]
    [InlineData("""{"to":{"kind":"ImageStreamImage","name":"app@sha256:0123"}}""", "ImageStreamImage output names a digest")]
    [InlineData("""{"to":{"name":"app:v1"}}""", "the output has no kind")]
    [InlineData("""{"to":{"kind":"Image","name":"app:v1"}}""", "output kind 'Image' is neither ImageStreamTag nor DockerImage")]
    public void Invalid_outputs_are_named_not_repaired(string output, string problem)
    {
        var target = Assert.IsType<BuildOutput.Invalid>(BuildOutputTarget.Find(Build(outputJson: output), "demo"));
        Assert.Contains(problem, target.Problem);
    }

    [Fact]
    public void A_huge_tag_is_quoted_short_in_the_problem()
    {
        var target = BuildOutputTarget.Find(Build(outputJson: "{\"to\":{\"kind\":\"ImageStreamTag\",\"name\":\"app:" + new string('t', 10_000) + "\"}}"), "demo");
        var problem = Assert.IsType<BuildOutput.Invalid>(target).Problem;
        Assert.Contains("tag 'tttt", problem);
        Assert.True(problem.Length < 200, problem);
    }

    [Fact]
    public void Destination_annotation_round_trips_and_rejects_other_forms()
    {
        Assert.Equal(new ImageStreamTagReference("demo", "app", "v1"), ImageStreamTagReference.Parse("demo/app:v1"));
        Assert.Null(ImageStreamTagReference.Parse("demo/app"));
        Assert.Null(ImageStreamTagReference.Parse("app:v1"));
        Assert.Null(ImageStreamTagReference.Parse("/app:v1"));
        Assert.Null(ImageStreamTagReference.Parse(null));
    }

    [Fact]
    public void Json_pointer_escapes_tilde_before_slash() =>
        Assert.Equal("/metadata/annotations/a~0~1b~1c", JsonPointer.Of("metadata", "annotations", "a~/b/c"));

    [Fact]
    public void Strategy_is_read_from_type_or_member()
    {
        Assert.Equal("Source", BuildOutputTarget.StrategyOf(Build()));
        var pipeline = JsonSerializer.Deserialize<JsonElement>("""{"spec":{"strategy":{"jenkinsPipelineStrategy":{"jenkinsfile":"node{}"}}}}""");
        Assert.Equal("JenkinsPipeline", BuildOutputTarget.StrategyOf(pipeline));
    }
}
