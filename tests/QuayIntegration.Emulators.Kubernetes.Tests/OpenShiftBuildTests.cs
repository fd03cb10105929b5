using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>build.openshift.io server-side rules, through KubernetesClient's CustomObjects API.</summary>
public sealed class OpenShiftBuildTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private k8s.Kubernetes K => f.Client;
    private const string Group = "build.openshift.io";

    public static JsonObject DockerBuild(string name, JsonObject? output = null) => new()
    {
        ["apiVersion"] = "build.openshift.io/v1", ["kind"] = "Build", ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["serviceAccount"] = "builder",
            ["source"] = new JsonObject { ["type"] = "Git", ["git"] = new JsonObject { ["uri"] = "https://example.com/app.git" } },
            ["strategy"] = new JsonObject { ["dockerStrategy"] = new JsonObject() },
            ["output"] = output ?? new JsonObject { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "quay.example.com/org/app:latest" } },
        },
    };

    private async Task<JsonObject> CreateBuildAsync(string ns, JsonObject build) =>
        Objects.Node(await K.CustomObjects.CreateNamespacedCustomObjectAsync(build, Group, "v1", ns, "builds"));

    [Fact]
    public async Task Create_derives_strategy_type_and_starts_New()
    {
        var ns = await f.CreateNamespaceAsync();
        var build = await CreateBuildAsync(ns, DockerBuild("b1"));
        Assert.Equal("Docker", (string?)build["spec"]!["strategy"]!["type"]);
        Assert.Equal("New", (string?)build["status"]!["phase"]);
        Assert.Null(build["metadata"]!["annotations"]); // hand-posted Builds may have no annotations map
        var list = Objects.Node(await K.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1", ns, "builds", fieldSelector: "status=New"));
        Assert.Single(list["items"]!.AsArray());
    }

    [Fact]
    public async Task Strategy_must_have_exactly_one_member_and_DockerImage_outputs_take_no_namespace()
    {
        var ns = await f.CreateNamespaceAsync();
        var two = DockerBuild("two");
        two["spec"]!["strategy"]!["sourceStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "x" } };
        var e1 = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(ns, two));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e1.Response.StatusCode);
        var withNs = DockerBuild("ns", new JsonObject { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "q/x:y", ["namespace"] = "other" } });
        var e2 = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(ns, withNs));
        Assert.Contains("spec.output.to.namespace", (string?)Objects.Status(e2)["message"]);
        // An ImageStreamTag output name is split at its first ':' (SplitImageStreamTag): an empty tag is accepted (it
        // means latest), a name without ':' is not.
        static JsonObject Tag(string name) => new() { ["to"] = new JsonObject { ["kind"] = "ImageStreamTag", ["name"] = name } };
        await CreateBuildAsync(ns, DockerBuild("empty-tag", Tag("app:")));
        var e3 = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(ns, DockerBuild("no-tag", Tag("app"))));
        Assert.Contains("ImageStreamTag object references must be in the form <name>:<tag>", (string?)Objects.Status(e3)["message"]);
        var e4 = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(ns, DockerBuild("no-name", Tag(""))));
        Assert.Contains("spec.output.to.name: Required value", (string?)Objects.Status(e4)["message"]);
        // No output at all is fine (no push).
        var noOutput = DockerBuild("none");
        noOutput["spec"]!.AsObject().Remove("output");
        await CreateBuildAsync(ns, noOutput);
    }

    [Fact]
    public async Task Status_is_written_through_the_main_resource_and_spec_is_immutable_except_pushSecret()
    {
        var ns = await f.CreateNamespaceAsync();
        var build = await CreateBuildAsync(ns, DockerBuild("b"));
        var (code, _, _) = await f.SendAsync(HttpMethod.Get, $"/apis/build.openshift.io/v1/namespaces/{ns}/builds/b/status");
        Assert.Equal(404, code); // no status subresource

        build["status"]!["phase"] = "Running";
        build["spec"]!["output"]!["pushSecret"] = new JsonObject { ["name"] = "builder-quay-openshift" };
        var running = Objects.Node(await K.CustomObjects.ReplaceNamespacedCustomObjectAsync(build, Group, "v1", ns, "builds", "b"));
        Assert.Equal("Running", (string?)running["status"]!["phase"]);
        Assert.Equal("builder-quay-openshift", (string?)running["spec"]!["output"]!["pushSecret"]!["name"]);

        running["spec"]!["output"]!["to"]!["name"] = "quay.example.com/org/other:latest";
        var specChange = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.ReplaceNamespacedCustomObjectAsync(running, Group, "v1", ns, "builds", "b"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, specChange.Response.StatusCode);
        Assert.Contains("spec is immutable", (string?)Objects.Status(specChange)["message"]);

        var backwards = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"status\":{\"phase\":\"Pending\"}}", V1Patch.PatchType.MergePatch), Group, "v1", ns, "builds", "b"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, backwards.Response.StatusCode);

        await K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"status\":{\"phase\":\"Complete\"}}", V1Patch.PatchType.MergePatch), Group, "v1", ns, "builds", "b");
        var frozen = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"status\":{\"phase\":\"Failed\"}}", V1Patch.PatchType.MergePatch), Group, "v1", ns, "builds", "b"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, frozen.Response.StatusCode);
    }

    [Fact]
    public async Task Strategic_merge_consumes_setElementOrder_and_merges_conditions_by_type()
    {
        var ns = await f.CreateNamespaceAsync();
        await CreateBuildAsync(ns, DockerBuild("smp"));
        var patch = "{\"metadata\":{\"annotations\":{\"openshift.io/build.pod-name\":\"smp-build\"}},\"status\":{\"$setElementOrder/conditions\":[{\"type\":\"Pending\"},{\"type\":\"New\"}]," +
                    "\"conditions\":[{\"type\":\"Pending\",\"status\":\"True\"},{\"type\":\"New\",\"status\":\"False\"}],\"phase\":\"Pending\"}}";
        var (code, body, _) = await f.SendAsync(HttpMethod.Patch, $"/apis/build.openshift.io/v1/namespaces/{ns}/builds/smp", patch, "application/strategic-merge-patch+json");
        Assert.Equal(200, code);
        var status = body!["status"]!.AsObject();
        Assert.DoesNotContain(status, p => p.Key.StartsWith('$'));
        Assert.Equal(["Pending", "New"], status["conditions"]!.AsArray().Select(c => (string)c!["type"]!));
        Assert.Equal("False", (string?)status["conditions"]![1]!["status"]);
        Assert.Single((await f.SendAsync(HttpMethod.Get, $"/apis/build.openshift.io/v1/namespaces/{ns}/builds?fieldSelector=podName%3Dsmp-build")).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Instantiate_generates_a_numbered_Build_with_labels_annotations_and_owner()
    {
        var ns = await f.CreateNamespaceAsync();
        var bc = new JsonObject
        {
            ["apiVersion"] = "build.openshift.io/v1", ["kind"] = "BuildConfig",
            ["metadata"] = new JsonObject { ["name"] = "httpd-example", ["labels"] = new JsonObject { ["app"] = "httpd-example" } },
            ["spec"] = DockerBuild("x")["spec"]!.DeepClone(),
        };
        bc["spec"]!["output"] = new JsonObject { ["to"] = new JsonObject { ["kind"] = "ImageStreamTag", ["name"] = "httpd-example:latest" } };
        bc["spec"]!["triggers"] = new JsonArray(new JsonObject { ["type"] = "ConfigChange" });
        bc["spec"]!["strategy"] = new JsonObject { ["sourceStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "ImageStreamTag", ["namespace"] = "openshift", ["name"] = "httpd:2.4" } } };
        var createdBc = Objects.Node(await K.CustomObjects.CreateNamespacedCustomObjectAsync(bc, Group, "v1", ns, "buildconfigs"));
        Assert.Equal("Source", (string?)createdBc["spec"]!["strategy"]!["type"]);
        // The builder image the strategy points at, as an imported tag in the openshift namespace.
        var httpd = Objects.Node(await K.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "httpd", ["namespace"] = "openshift" },
        }, "image.openshift.io", "v1", "openshift", "imagestreams"));
        httpd["status"] = new JsonObject { ["tags"] = new JsonArray(new JsonObject
        {
            ["tag"] = "2.4", ["items"] = new JsonArray(new JsonObject { ["created"] = "2024-05-01T10:00:00Z", ["dockerImageReference"] = "registry.example.com/httpd@sha256:abc", ["image"] = "sha256:abc", ["generation"] = 1 }),
        }) };
        await K.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(httpd, "image.openshift.io", "v1", "openshift", "imagestreams", "httpd");

        var request = new JsonObject { ["kind"] = "BuildRequest", ["apiVersion"] = "build.openshift.io/v1", ["metadata"] = new JsonObject { ["name"] = "httpd-example" } };
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/build.openshift.io/v1/namespaces/{ns}/buildconfigs/httpd-example/instantiate", request.ToJsonString());
        Assert.Equal(201, code);
        Assert.Equal("httpd-example-1", (string?)body!["metadata"]!["name"]);
        var labels = body["metadata"]!["labels"]!;
        Assert.Equal("httpd-example", (string?)labels["app"]);
        Assert.Equal("httpd-example", (string?)labels["buildconfig"]);
        Assert.Equal("httpd-example", (string?)labels["openshift.io/build-config.name"]);
        Assert.Equal("Serial", (string?)labels["openshift.io/build.start-policy"]);
        Assert.Equal("1", (string?)body["metadata"]!["annotations"]!["openshift.io/build.number"]);
        var owner = body["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal((string?)createdBc["metadata"]!["uid"], (string?)owner["uid"]);
        Assert.True((bool)owner["controller"]!);
        Assert.Equal("ImageStreamTag", (string?)body["spec"]!["output"]!["to"]!["kind"]); // output untouched
        Assert.Equal("DockerImage", (string?)body["spec"]!["strategy"]!["sourceStrategy"]!["from"]!["kind"]);
        Assert.Equal("registry.example.com/httpd@sha256:abc", (string?)body["spec"]!["strategy"]!["sourceStrategy"]!["from"]!["name"]);
        Assert.Null(body["spec"]!["triggers"]);
        Assert.Equal("New", (string?)body["status"]!["phase"]);
        Assert.Equal("httpd-example", (string?)body["status"]!["config"]!["name"]);

        var second = await f.SendAsync(HttpMethod.Post, $"/apis/build.openshift.io/v1/namespaces/{ns}/buildconfigs/httpd-example/instantiate", request.ToJsonString());
        Assert.Equal("httpd-example-2", (string?)second.Body!["metadata"]!["name"]);
        var bcNow = Objects.Node(await K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "buildconfigs", "httpd-example"));
        Assert.Equal(2, (long)bcNow["status"]!["lastVersion"]!);

        // Cloning a BuildConfig build takes the next number; cloning a hand-made one appends 10 digits.
        var clone = await f.SendAsync(HttpMethod.Post, $"/apis/build.openshift.io/v1/namespaces/{ns}/builds/httpd-example-1/clone",
            "{\"kind\":\"BuildRequest\",\"apiVersion\":\"build.openshift.io/v1\",\"metadata\":{\"name\":\"httpd-example-1\"}}");
        Assert.Equal(201, clone.Code);
        Assert.Equal("httpd-example-3", (string?)clone.Body!["metadata"]!["name"]);
        Assert.Equal("httpd-example-1", (string?)clone.Body["metadata"]!["annotations"]!["openshift.io/build.clone-of"]);
        Assert.Equal("3", (string?)clone.Body["metadata"]!["annotations"]!["openshift.io/build.number"]);
        // What generateBuildFromBuild drops: the run's pod name and Jenkins' reporting, the number of a Build without a
        // BuildConfig, a binary source; everything else of the metadata is copied, the operator's annotations included.
        var hand = DockerBuild("hand");
        hand["metadata"]!["annotations"] = new JsonObject
        {
            ["openshift.io/build.number"] = "7", ["openshift.io/build.pod-name"] = "hand-build", ["openshift.io/jenkins-status-json"] = "{}",
            ["openshift.io/jenkins-build-uri"] = "https://jenkins/job/1", ["example.com/kept"] = "yes",
        };
        hand["metadata"]!["labels"] = new JsonObject { ["app"] = "hand" };
        hand["spec"]!["source"] = new JsonObject { ["type"] = "Binary", ["binary"] = new JsonObject { ["asFile"] = "app.jar" } };
        await CreateBuildAsync(ns, hand);
        var handClone = await f.SendAsync(HttpMethod.Post, $"/apis/build.openshift.io/v1/namespaces/{ns}/builds/hand/clone", "{\"metadata\":{\"name\":\"hand\"}}");
        Assert.Matches(@"^hand-\d{10}$", (string?)handClone.Body!["metadata"]!["name"]);
        var cloned = handClone.Body["metadata"]!["annotations"]!.AsObject();
        Assert.Equal(["example.com/kept", "openshift.io/build.clone-of"], cloned.Select(a => a.Key).Order());
        Assert.Equal("hand", (string?)handClone.Body["metadata"]!["labels"]!["app"]);
        Assert.Null(handClone.Body["spec"]!["source"]!["binary"]);
        Assert.Equal("New", (string?)handClone.Body["status"]!["phase"]);
    }
}
