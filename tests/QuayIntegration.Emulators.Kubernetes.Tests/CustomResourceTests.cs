using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>The operator's CRD from deploy/, installed through apiextensions and served from its schema.</summary>
public sealed class CustomResourceTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>, IAsyncLifetime
{
    private k8s.Kubernetes K => f.Client;
    private const string Group = "quay.redhat.com";

    public Task InitializeAsync() => Manifests.InstallCrdAsync(f);
    public Task DisposeAsync() => Task.CompletedTask;

    private static JsonObject Qi(string name, JsonObject spec) => new()
    {
        ["apiVersion"] = "quay.redhat.com/v1", ["kind"] = "QuayIntegration", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec,
    };

    private static JsonObject ValidSpec() => new()
    {
        ["credentialsSecret"] = new JsonObject { ["namespace"] = "openshift-operators", ["name"] = "quay-integration" },
        ["quayHostname"] = "https://quay.example.com",
    };

    [Fact]
    public async Task CRD_is_established_and_discoverable()
    {
        var crd = await K.ApiextensionsV1.ReadCustomResourceDefinitionAsync("quayintegrations.quay.redhat.com");
        Assert.Contains(crd.Status.Conditions, c => c.Type == "Established" && c.Status == "True");
        var resources = await K.CustomObjects.GetAPIResourcesAsync(Group, "v1");
        Assert.Contains(resources.Resources, r => r.Name == "quayintegrations" && r.Kind == "QuayIntegration");
        var (code, body, _) = await f.SendAsync(HttpMethod.Get, "/apis/quay.redhat.com/v1");
        Assert.Equal(200, code);
        var entries = body!["resources"]!.AsArray();
        Assert.Contains(entries, r => (string?)r!["name"] == "quayintegrations" && (bool)r["namespaced"]! == false && (string?)r["shortNames"]![0] == "qi");
        Assert.Contains(entries, r => (string?)r!["name"] == "quayintegrations/status");
    }

    [Fact]
    public async Task Create_applies_schema_defaults_drops_status_and_unknown_fields_and_sets_generation()
    {
        var qi = Qi("defaults", ValidSpec());
        qi["status"] = new JsonObject { ["syncedNamespaces"] = 3 };
        qi["spec"]!["unknownThing"] = true;
        var created = Objects.Node(await K.CustomObjects.CreateClusterCustomObjectAsync(qi, Group, "v1", "quayintegrations"));
        var spec = created["spec"]!;
        Assert.Equal("openshift", (string?)spec["clusterID"]);
        Assert.Equal("token", (string?)spec["credentialsSecret"]!["key"]);
        Assert.Equal("Keep", (string?)spec["cleanupPolicy"]);
        Assert.Equal("10m", (string?)spec["driftCheckInterval"]);
        Assert.False((bool)spec["insecureRegistry"]!);
        Assert.Equal(3, spec["serviceAccounts"]!.AsArray().Count);
        Assert.Null(spec["unknownThing"]);
        Assert.Null(created["status"]);
        Assert.Equal(1, (long)created["metadata"]!["generation"]!);
    }

    [Fact]
    public async Task Required_fields_patterns_and_enums_are_enforced_with_422()
    {
        var missing = Qi("missing", new JsonObject { ["quayHostname"] = "https://q.example.com" });
        var e1 = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.CreateClusterCustomObjectAsync(missing, Group, "v1", "quayintegrations"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e1.Response.StatusCode);
        var s1 = Objects.Status(e1);
        Assert.Equal("QuayIntegration.quay.redhat.com \"missing\" is invalid: spec.credentialsSecret: Required value", (string?)s1["message"]);
        Assert.Equal("QuayIntegration", (string?)s1["details"]!["kind"]);
        Assert.Equal("FieldValueRequired", (string?)s1["details"]!["causes"]![0]!["reason"]);

        var spec = ValidSpec();
        spec["quayHostname"] = "ftp://nope";
        spec["repositoryDeletionPolicy"] = "Sometimes";
        var e2 = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.CreateClusterCustomObjectAsync(Qi("bad", spec), Group, "v1", "quayintegrations"));
        var message = (string?)Objects.Status(e2)["message"];
        Assert.Contains("spec.quayHostname: Invalid value: \"ftp://nope\": spec.quayHostname in body should match", message);
        Assert.Contains("spec.repositoryDeletionPolicy: Unsupported value: \"Sometimes\": supported values: \"Keep\", \"Delete\"", message);
    }

    [Fact]
    public async Task Status_subresource_splits_writes_and_generation_follows_spec()
    {
        var created = Objects.Node(await K.CustomObjects.CreateClusterCustomObjectAsync(Qi("split", ValidSpec()), Group, "v1", "quayintegrations"));
        var withStatus = created.DeepClone().AsObject();
        withStatus["status"] = new JsonObject { ["syncedNamespaces"] = 2, ["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Ready", ["status"] = "True", ["reason"] = "Synced", ["message"] = "ok", ["lastTransitionTime"] = "2024-05-01T10:00:00Z",
        }) };
        var viaStatus = Objects.Node(await K.CustomObjects.ReplaceClusterCustomObjectStatusAsync(withStatus, Group, "v1", "quayintegrations", "split"));
        Assert.Equal(2, (int)viaStatus["status"]!["syncedNamespaces"]!);
        Assert.Equal(1, (long)viaStatus["metadata"]!["generation"]!);

        // A main-resource write ignores status; a spec change bumps generation.
        viaStatus["status"]!["syncedNamespaces"] = 99;
        viaStatus["spec"]!["clusterID"] = "other";
        var viaMain = Objects.Node(await K.CustomObjects.ReplaceClusterCustomObjectAsync(viaStatus, Group, "v1", "quayintegrations", "split"));
        Assert.Equal(2, (int)viaMain["status"]!["syncedNamespaces"]!);
        Assert.Equal(2, (long)viaMain["metadata"]!["generation"]!);
        viaMain["spec"]!["clusterID"] = "third";
        var third = Objects.Node(await K.CustomObjects.ReplaceClusterCustomObjectAsync(viaMain, Group, "v1", "quayintegrations", "split"));
        Assert.Equal(3, (long)third["metadata"]!["generation"]!);
        viaMain = third;

        // Status conditions are validated against the schema too.
        viaMain["status"]!["conditions"]![0]!["status"] = "Maybe";
        var bad = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.ReplaceClusterCustomObjectStatusAsync(viaMain, Group, "v1", "quayintegrations", "split"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.Response.StatusCode);
    }

    [Fact]
    public async Task Marking_for_deletion_bumps_the_generation_once()
    {
        var qi = Qi("marked", ValidSpec());
        qi["metadata"]!["finalizers"] = new JsonArray("example.com/hold");
        await K.CustomObjects.CreateClusterCustomObjectAsync(qi, Group, "v1", "quayintegrations");
        var (code, first, _) = await f.SendAsync(HttpMethod.Delete, "/apis/quay.redhat.com/v1/quayintegrations/marked");
        Assert.Equal(200, code);
        Assert.Equal(2, (long)first!["metadata"]!["generation"]!);
        var (_, again, _) = await f.SendAsync(HttpMethod.Delete, "/apis/quay.redhat.com/v1/quayintegrations/marked");
        Assert.Equal(2, (long)again!["metadata"]!["generation"]!);
        Assert.Equal((string?)first["metadata"]!["resourceVersion"], (string?)again["metadata"]!["resourceVersion"]);
        await K.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch),
            Group, "v1", "quayintegrations", "marked");
    }

    [Fact]
    public async Task Custom_resources_need_a_resourceVersion_to_update_and_refuse_strategic_merge()
    {
        var created = Objects.Node(await K.CustomObjects.CreateClusterCustomObjectAsync(Qi("rv", ValidSpec()), Group, "v1", "quayintegrations"));
        created["metadata"]!.AsObject().Remove("resourceVersion");
        var noVersion = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.ReplaceClusterCustomObjectAsync(created, Group, "v1", "quayintegrations", "rv"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noVersion.Response.StatusCode);
        Assert.Contains("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", (string?)Objects.Status(noVersion)["message"]);
        // The status subresource's strategy does not allow an unconditional update either.
        var noVersionStatus = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.ReplaceClusterCustomObjectStatusAsync(created, Group, "v1", "quayintegrations", "rv"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noVersionStatus.Response.StatusCode);
        Assert.Contains("must be specified for an update", (string?)Objects.Status(noVersionStatus)["message"]);

        var smp = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("{\"spec\":{\"clusterID\":\"x\"}}", V1Patch.PatchType.StrategicMergePatch), Group, "v1", "quayintegrations", "rv"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, smp.Response.StatusCode);

        var merged = Objects.Node(await K.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("{\"spec\":{\"clusterID\":\"patched\"}}", V1Patch.PatchType.MergePatch), Group, "v1", "quayintegrations", "rv"));
        Assert.Equal("patched", (string?)merged["spec"]!["clusterID"]);
    }

    [Fact]
    public async Task Table_uses_the_printer_columns()
    {
        await K.CustomObjects.CreateClusterCustomObjectAsync(Qi("table", ValidSpec()), Group, "v1", "quayintegrations");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/apis/quay.redhat.com/v1/quayintegrations?fieldSelector=metadata.name%3Dtable");
        request.Headers.Accept.ParseAdd("application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        var response = await f.Http.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Table", (string?)table["kind"]);
        Assert.Equal(["Name", "Quay", "Ready", "Synced", "Pending", "Failing", "Conflicting", "Reason", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        var cells = table["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("table", (string?)cells[0]);
        Assert.Equal("https://quay.example.com", (string?)cells[1]);
    }

    [Fact]
    public async Task Deleting_the_CRD_stops_serving_and_removes_its_objects()
    {
        await CreateExampleCrdAsync("Widget", "widgets");
        var ns = await f.CreateNamespaceAsync();
        var widget = new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "w" }, ["spec"] = ValidSpec() };
        await K.CustomObjects.CreateNamespacedCustomObjectAsync(widget, "example.com", "v1", ns, "widgets");
        var list = Objects.Node(await K.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", ns, "widgets"));
        Assert.Equal("Widget", (string?)list["items"]![0]!["kind"]); // custom resource list items keep kind/apiVersion
        Assert.Equal("WidgetList", (string?)list["kind"]);

        await K.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.example.com");
        var (code, _, _) = await f.SendAsync(HttpMethod.Get, $"/apis/example.com/v1/namespaces/{ns}/widgets");
        Assert.Equal(404, code);
        Assert.Null(f.Server.Peek("example.com", "widgets", ns, "w"));
    }

    /// <summary>
    /// As apiextensions-apiserver: the first DELETE marks the definition Terminating behind its cleanup finalizer and
    /// deletes every custom resource; one holding a finalizer stays, marked and still served, no new one can be created,
    /// and the definition goes with the last of them.
    /// </summary>
    [Fact]
    public async Task Deleting_the_CRD_waits_for_the_finalizers_of_its_objects()
    {
        await CreateExampleCrdAsync("Gadget", "gadgets");
        var ns = await f.CreateNamespaceAsync();
        JsonObject Gadget(string name, params string[] finalizers) => new()
        {
            ["apiVersion"] = "example.com/v1", ["kind"] = "Gadget",
            ["metadata"] = new JsonObject { ["name"] = name, ["finalizers"] = new JsonArray([.. finalizers.Select(x => (JsonNode)JsonValue.Create(x)!)]) },
            ["spec"] = ValidSpec(),
        };
        await K.CustomObjects.CreateNamespacedCustomObjectAsync(Gadget("held", "example.com/keep"), "example.com", "v1", ns, "gadgets");
        await K.CustomObjects.CreateNamespacedCustomObjectAsync(Gadget("free"), "example.com", "v1", ns, "gadgets");

        await K.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("gadgets.example.com");
        var crd = await K.ApiextensionsV1.ReadCustomResourceDefinitionAsync("gadgets.example.com");
        Assert.NotNull(crd.Metadata.DeletionTimestamp);
        Assert.Contains("customresourcecleanup.apiextensions.k8s.io", crd.Metadata.Finalizers);
        Assert.Contains(crd.Status.Conditions, c => c.Type == "Terminating" && c.Status == "True" && c.Reason == "InstanceDeletionInProgress");
        Assert.Null(f.Server.Peek("example.com", "gadgets", ns, "free"));
        var held = Objects.Node(await K.CustomObjects.GetNamespacedCustomObjectAsync("example.com", "v1", ns, "gadgets", "held"));
        Assert.NotNull(held["metadata"]!["deletionTimestamp"]);

        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/example.com/v1/namespaces/{ns}/gadgets", Gadget("late").ToJsonString());
        Assert.Equal(405, code);
        Assert.Equal("MethodNotAllowed", (string?)body!["reason"]);
        Assert.Equal("create not allowed while custom resource definition is terminating", (string?)body["message"]);

        await K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch),
            "example.com", "v1", ns, "gadgets", "held");
        (code, _, _) = await f.SendAsync(HttpMethod.Get, $"/apis/example.com/v1/namespaces/{ns}/gadgets");
        Assert.Equal(404, code);
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.ApiextensionsV1.ReadCustomResourceDefinitionAsync("gadgets.example.com"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }

    /// <summary>The operator's QuayIntegration schema served as a namespaced kind of group example.com.</summary>
    private async Task CreateExampleCrdAsync(string kind, string plural)
    {
        var crdJson = Manifests.ReadYaml(Manifests.CrdPath);
        crdJson["metadata"]!["name"] = $"{plural}.example.com";
        crdJson["spec"]!["group"] = "example.com";
        crdJson["spec"]!["names"] = new JsonObject { ["kind"] = kind, ["listKind"] = kind + "List", ["plural"] = plural, ["singular"] = kind.ToLowerInvariant() };
        crdJson["spec"]!["scope"] = "Namespaced";
        await K.ApiextensionsV1.CreateCustomResourceDefinitionAsync(k8s.KubernetesJson.Deserialize<V1CustomResourceDefinition>(crdJson.ToJsonString()));
    }
}
