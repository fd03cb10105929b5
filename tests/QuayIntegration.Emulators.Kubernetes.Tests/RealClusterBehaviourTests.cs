using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// One test per item of docs/kubernetes-openshift.md §19: behaviours of a real cluster that a naive emulator gets
/// wrong. Test names start with the item number.
/// </summary>
public sealed class RealClusterBehaviourTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>, IAsyncLifetime
{
    private k8s.Kubernetes K => f.Client;
    private TestWebhook _hook = null!;
    private const string Managed = "quay-registry-operator.quay.redhat.com/quay-registry-operator-managed";

    public async Task InitializeAsync() => _hook = await TestWebhook.StartAsync();
    public async Task DisposeAsync() => await _hook.DisposeAsync();

    /// <summary>QBO's webhook: CREATE+UPDATE on build.openshift.io/v1 builds, for namespaces labelled for this test.</summary>
    private async Task<string> BuildWebhookAsync(string name, string failurePolicy = "Fail")
    {
        var config = new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1", ["kind"] = "MutatingWebhookConfiguration", ["metadata"] = new JsonObject { ["name"] = name },
            ["webhooks"] = new JsonArray(new JsonObject
            {
                ["name"] = $"{name}.quay.redhat.com", ["clientConfig"] = new JsonObject { ["url"] = _hook.Url(), ["caBundle"] = _hook.CaBundle },
                ["rules"] = new JsonArray(new JsonObject
                {
                    ["operations"] = new JsonArray("CREATE", "UPDATE"), ["apiGroups"] = new JsonArray("build.openshift.io"), ["apiVersions"] = new JsonArray("v1"), ["resources"] = new JsonArray("builds"),
                }),
                ["namespaceSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["webhook"] = name } },
                ["failurePolicy"] = failurePolicy, ["sideEffects"] = "None", ["admissionReviewVersions"] = new JsonArray("v1"),
            }),
        };
        Assert.Equal(201, (await f.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", config.ToJsonString())).Code);
        var ns = await K.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { GenerateName = name + "-", Labels = new Dictionary<string, string> { ["webhook"] = name } } });
        return ns.Metadata.Name;
    }

    private async Task<List<(string Type, JsonObject Object)>> WatchFromAsync(string path, string resourceVersion)
    {
        using var response = await f.Http.GetAsync($"{path}{(path.Contains('?') ? "&" : "?")}watch=true&timeoutSeconds=1&resourceVersion={resourceVersion}", HttpCompletionOption.ResponseHeadersRead);
        var events = new List<(string, JsonObject)>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            var e = JsonNode.Parse(line)!;
            events.Add(((string)e["type"]!, e["object"]!.AsObject()));
        }
        return events;
    }

    [Fact]
    public async Task Item01_namespace_spec_finalizers_change_only_through_finalize_and_kubernetes_is_always_added()
    {
        var ns = await K.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { GenerateName = "i1-" }, Spec = new V1NamespaceSpec { Finalizers = ["example.com/extra"] } });
        Assert.Equal(["example.com/extra", "kubernetes"], ns.Spec.Finalizers);
        ns.Spec.Finalizers = [];
        var put = await K.CoreV1.ReplaceNamespaceAsync(ns, ns.Metadata.Name);
        Assert.Equal(["example.com/extra", "kubernetes"], put.Spec.Finalizers);
        var patched = await K.CoreV1.PatchNamespaceAsync(new V1Patch("{\"spec\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), ns.Metadata.Name);
        Assert.Equal(["example.com/extra", "kubernetes"], patched.Spec.Finalizers);
        patched.Spec.Finalizers = ["kubernetes"];
        var finalized = await K.CoreV1.ReplaceNamespaceFinalizeAsync(patched, ns.Metadata.Name);
        Assert.Equal(["kubernetes"], finalized.Spec.Finalizers);
    }

    [Fact]
    public async Task Item02_a_namespace_is_gone_only_when_both_finalizer_lists_are_empty()
    {
        var ns = await K.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { GenerateName = "i2-", Finalizers = ["quay.redhat.com/quayintegrations"] } });
        var name = ns.Metadata.Name;
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "content" } }, name);
        await K.CoreV1.DeleteNamespaceAsync(name);
        // Content can still be deleted (by the namespace controller) while the operator's finalizer holds the namespace.
        await K.CoreV1.DeleteNamespacedConfigMapAsync("content", name);
        var terminating = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, name));
        Assert.Equal(HttpStatusCode.Forbidden, terminating.Response.StatusCode);
        Assert.Equal("NamespaceTerminating", (string?)Objects.Status(terminating)["details"]!["causes"]![0]!["reason"]);

        // Operator finalizer removed first: "kubernetes" still holds it.
        await K.CoreV1.PatchNamespaceAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), name);
        var held = await K.CoreV1.ReadNamespaceAsync(name);
        Assert.Equal("Terminating", held.Status.Phase);
        held.Spec.Finalizers = [];
        await K.CoreV1.ReplaceNamespaceFinalizeAsync(held, name);
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.ReadNamespaceAsync(name));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Item03_delete_with_finalizers_answers_200_with_the_object_and_the_last_finalizer_write_removes_it()
    {
        var ns = await f.CreateNamespaceAsync("i3");
        var cm = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "held", Finalizers = ["example.com/hold"] } }, ns);
        var (code, body, _) = await f.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/configmaps/held");
        Assert.Equal(200, code);
        Assert.Equal("ConfigMap", (string?)body!["kind"]);
        Assert.NotNull(body["metadata"]!["deletionTimestamp"]);
        var stillThere = await K.CoreV1.ReadNamespacedConfigMapAsync("held", ns);
        stillThere.Metadata.Finalizers = [];
        await K.CoreV1.ReplaceNamespacedConfigMapAsync(stillThere, "held", ns);
        var events = await WatchFromAsync($"/api/v1/namespaces/{ns}/configmaps", cm.Metadata.ResourceVersion);
        Assert.Equal(["MODIFIED", "DELETED"], events.Select(e => e.Type));
        // Updates cannot clear deletionTimestamp.
        Assert.NotNull(events[0].Object["metadata"]!["deletionTimestamp"]);
    }

    [Fact]
    public async Task Item04_no_op_updates_keep_the_resourceVersion_and_emit_nothing()
    {
        var ns = await f.CreateNamespaceAsync("i4");
        var cm = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "same" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, ns);
        var put = await K.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "same", ns);
        var patch = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":\"1\"}}", V1Patch.PatchType.MergePatch), "same", ns);
        Assert.Equal(cm.Metadata.ResourceVersion, put.Metadata.ResourceVersion);
        Assert.Equal(cm.Metadata.ResourceVersion, patch.Metadata.ResourceVersion);
        Assert.Empty(await WatchFromAsync($"/api/v1/namespaces/{ns}/configmaps", cm.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task Item05_an_expired_watch_version_is_an_ERROR_event_with_410_and_list_versions_are_global()
    {
        var ns = await f.CreateNamespaceAsync("i5");
        var before = (await K.CoreV1.ListNamespacedSecretAsync(ns)).Metadata.ResourceVersion;
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "elsewhere" } }, ns);
        var after = (await K.CoreV1.ListNamespacedSecretAsync(ns)).Metadata.ResourceVersion;
        Assert.True(long.Parse(after) > long.Parse(before)); // a configmap write moved the secrets list version
        f.Server.Faults.CompactHistory();
        var events = await WatchFromAsync($"/api/v1/namespaces/{ns}/secrets", before);
        var (type, status) = Assert.Single(events);
        Assert.Equal("ERROR", type);
        Assert.Equal(410, (int)status["code"]!);
        Assert.Equal("Expired", (string?)status["reason"]);
    }

    [Fact]
    public async Task Item06_build_status_goes_through_the_main_resource_as_admission_UPDATEs()
    {
        var ns = await BuildWebhookAsync("i6");
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true });
        var build = Objects.Node(await K.CustomObjects.CreateNamespacedCustomObjectAsync(OpenShiftBuildTests.DockerBuild("b"), "build.openshift.io", "v1", ns, "builds"));
        while (_hook.Reviews.TryDequeue(out _)) { }
        // The build controller's strategic-merge status write.
        await K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"status\":{\"phase\":\"Pending\",\"outputDockerImageReference\":\"quay.example.com/org/app:latest\"}}", V1Patch.PatchType.MergePatch),
            "build.openshift.io", "v1", ns, "builds", "b");
        var review = Assert.Single(_hook.Reviews)["request"]!;
        Assert.Equal("UPDATE", (string?)review["operation"]);
        Assert.Null(review["subResource"]);
        Assert.Equal("Pending", (string?)review["object"]!["status"]!["phase"]);
        Assert.Equal("Docker", (string?)review["object"]!["spec"]!["strategy"]!["type"]);

        build["metadata"]!.AsObject().Remove("resourceVersion");
        var noVersion = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.ReplaceNamespacedCustomObjectAsync(build, "build.openshift.io", "v1", ns, "builds", "b"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noVersion.Response.StatusCode);

        // A webhook denying UPDATEs blocks status writes.
        _hook.Respond = r => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = (string?)r["operation"] != "UPDATE", ["status"] = new JsonObject { ["message"] = "no updates" } });
        var denied = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("{\"status\":{\"phase\":\"Running\"}}", V1Patch.PatchType.MergePatch), "build.openshift.io", "v1", ns, "builds", "b"));
        Assert.Equal(HttpStatusCode.BadRequest, denied.Response.StatusCode);
        await K.AdmissionregistrationV1.DeleteMutatingWebhookConfigurationAsync("i6");
    }

    [Fact]
    public async Task Item07_instantiated_builds_are_CREATEs_with_annotations_but_hand_posted_ones_may_lack_the_map()
    {
        var ns = await BuildWebhookAsync("i7", failurePolicy: "Ignore");
        _hook.Respond = r => Task.FromResult<JsonObject?>((string?)r["operation"] == "CREATE"
            ? TestWebhook.Patch(new JsonObject { ["op"] = "add", ["path"] = "/metadata/annotations/" + Managed.Replace("~", "~0").Replace("/", "~1"), ["value"] = "true" })
            : new JsonObject { ["allowed"] = true });
        var bc = new JsonObject
        {
            ["apiVersion"] = "build.openshift.io/v1", ["kind"] = "BuildConfig", ["metadata"] = new JsonObject { ["name"] = "app" },
            ["spec"] = OpenShiftBuildTests.DockerBuild("x")["spec"]!.DeepClone(),
        };
        await K.CustomObjects.CreateNamespacedCustomObjectAsync(bc, "build.openshift.io", "v1", ns, "buildconfigs");
        while (_hook.Reviews.TryDequeue(out _)) { }
        var (code, build, _) = await f.SendAsync(HttpMethod.Post, $"/apis/build.openshift.io/v1/namespaces/{ns}/buildconfigs/app/instantiate",
            "{\"kind\":\"BuildRequest\",\"apiVersion\":\"build.openshift.io/v1\",\"metadata\":{\"name\":\"app\"}}");
        Assert.Equal(201, code);
        Assert.Equal("true", (string?)build!["metadata"]!["annotations"]![Managed]);
        var review = Assert.Single(_hook.Reviews)["request"]!;
        Assert.Equal("CREATE", (string?)review["operation"]);
        Assert.Equal("system:apiserver", (string?)review["userInfo"]!["username"]);
        Assert.Equal("1", (string?)review["object"]!["metadata"]!["annotations"]!["openshift.io/build.number"]);

        var handPosted = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.CreateNamespacedCustomObjectAsync(OpenShiftBuildTests.DockerBuild("hand"), "build.openshift.io", "v1", ns, "builds"));
        Assert.Equal(HttpStatusCode.InternalServerError, handPosted.Response.StatusCode); // even with failurePolicy Ignore
        await K.AdmissionregistrationV1.DeleteMutatingWebhookConfigurationAsync("i7");
    }

    [Fact]
    public async Task Item08_denials_need_the_status_field_and_an_echoed_uid_and_type()
    {
        var ns = await BuildWebhookAsync("i8");
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = false, ["result"] = new JsonObject { ["message"] = "wrong field name" } });
        var e1 = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.CreateNamespacedCustomObjectAsync(OpenShiftBuildTests.DockerBuild("a"), "build.openshift.io", "v1", ns, "builds"));
        Assert.Equal(HttpStatusCode.BadRequest, e1.Response.StatusCode);
        Assert.Equal("admission webhook \"i8.quay.redhat.com\" denied the request without explanation", (string?)Objects.Status(e1)["message"]);

        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = false, ["status"] = new JsonObject { ["code"] = 200, ["message"] = "low code" } });
        var e2 = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.CreateNamespacedCustomObjectAsync(OpenShiftBuildTests.DockerBuild("a"), "build.openshift.io", "v1", ns, "builds"));
        Assert.Equal(HttpStatusCode.BadRequest, e2.Response.StatusCode);
        Assert.Equal("admission webhook \"i8.quay.redhat.com\" denied the request: low code", (string?)Objects.Status(e2)["message"]);

        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true, ["uid"] = "not-the-request-uid" });
        var e3 = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.CreateNamespacedCustomObjectAsync(OpenShiftBuildTests.DockerBuild("a"), "build.openshift.io", "v1", ns, "builds"));
        Assert.Equal(HttpStatusCode.InternalServerError, e3.Response.StatusCode);
        Assert.StartsWith("failed calling webhook \"i8.quay.redhat.com\"", (string?)Objects.Status(e3)["message"]);

        _hook.Respond = _ => Task.FromResult<JsonObject?>(null); // empty body: no apiVersion/kind
        var e4 = await Assert.ThrowsAsync<HttpOperationException>(() => K.CustomObjects.CreateNamespacedCustomObjectAsync(OpenShiftBuildTests.DockerBuild("a"), "build.openshift.io", "v1", ns, "builds"));
        Assert.Equal(HttpStatusCode.InternalServerError, e4.Response.StatusCode);
        await K.AdmissionregistrationV1.DeleteMutatingWebhookConfigurationAsync("i8");
    }

    [Fact]
    public async Task Item09_image_stream_import_quirks()
    {
        var ns = await f.CreateNamespaceAsync("i9");
        var isi = new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStreamImport", ["metadata"] = new JsonObject { ["name"] = "app" },
            ["spec"] = new JsonObject
            {
                ["import"] = true,
                ["images"] = new JsonArray(new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "127.0.0.1:1/org/app:latest" }, ["to"] = new JsonObject { ["name"] = "latest" } }),
            },
        };
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", isi.ToJsonString());
        Assert.Equal(201, code); // the registry is unreachable, yet the request succeeds
        Assert.Equal("Failure", (string?)body!["status"]!["images"]![0]!["status"]!["status"]);
        var stream = Objects.Node(await K.CustomObjects.GetNamespacedCustomObjectAsync("image.openshift.io", "v1", ns, "imagestreams", "app"));
        Assert.Equal("127.0.0.1:1/org/app:latest", (string?)stream["spec"]!["tags"]![0]!["from"]!["name"]);
        Assert.Equal("ImportSuccess", (string?)stream["status"]!["tags"]![0]!["conditions"]![0]!["type"]);
        Assert.Equal($"image-registry.openshift-image-registry.svc:5000/{ns}/app", (string?)stream["status"]!["dockerImageRepository"]);

        isi["metadata"]!["resourceVersion"] = "1";
        Assert.Equal(409, (await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", isi.ToJsonString())).Code);
        Assert.Equal(405, (await f.SendAsync(HttpMethod.Get, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports/app")).Code);
    }

    [Fact]
    public async Task Item10_the_server_itself_creates_no_service_accounts_or_scc_annotations_and_later_writes_are_MODIFIED()
    {
        var ns = await K.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { GenerateName = "i10-" } });
        Assert.DoesNotContain(ns.Metadata.Annotations ?? new Dictionary<string, string>(), a => a.Key.StartsWith("openshift.io/sa.scc."));
        Assert.Empty((await K.CoreV1.ListNamespacedServiceAccountAsync(ns.Metadata.Name)).Items); // the controllers' job, asynchronously
        var builder = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.ReadNamespacedServiceAccountAsync("builder", ns.Metadata.Name));
        Assert.Equal(HttpStatusCode.NotFound, builder.Response.StatusCode);

        // cluster-policy-controller's later write (server-side apply with a resourceVersion precondition).
        var apply = $"{{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{{\"name\":\"{ns.Metadata.Name}\",\"resourceVersion\":\"{ns.Metadata.ResourceVersion}\",\"annotations\":{{\"openshift.io/sa.scc.mcs\":\"s0:c26,c5\",\"openshift.io/sa.scc.uid-range\":\"1000680000/10000\"}}}}}}";
        await K.CoreV1.PatchNamespaceAsync(new V1Patch(apply, V1Patch.PatchType.ApplyPatch), ns.Metadata.Name, fieldManager: "cluster-policy-controller", force: true);
        var events = await WatchFromAsync($"/api/v1/namespaces?fieldSelector=metadata.name%3D{ns.Metadata.Name}", ns.Metadata.ResourceVersion);
        var (type, obj) = Assert.Single(events);
        Assert.Equal("MODIFIED", type);
        Assert.Equal("s0:c26,c5", (string?)obj["metadata"]!["annotations"]!["openshift.io/sa.scc.mcs"]);
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.PatchNamespaceAsync(new V1Patch(apply, V1Patch.PatchType.ApplyPatch), ns.Metadata.Name, fieldManager: "cluster-policy-controller", force: true));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
    }

    [Fact]
    public async Task Item11_strategic_merge_patch_semantics()
    {
        var ns = await f.CreateNamespaceAsync("i11");
        await K.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta { Name = "default" },
            Secrets = [new V1ObjectReference { Name = "default-dockercfg-abcde" }, new V1ObjectReference { Name = "default-token-abcde" }],
            ImagePullSecrets = [new V1LocalObjectReference { Name = "default-dockercfg-abcde" }],
        }, ns);
        var patch = "{\"$setElementOrder/secrets\":[{\"name\":\"default-quay-openshift\"},{\"name\":\"default-dockercfg-abcde\"}],\"secrets\":[{\"name\":\"default-quay-openshift\"},{\"name\":\"default-token-abcde\",\"$patch\":\"delete\"}],\"imagePullSecrets\":[{\"name\":\"default-quay-openshift\"}]}";
        var (code, sa, _) = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/serviceaccounts/default", patch, "application/strategic-merge-patch+json");
        Assert.Equal(200, code);
        Assert.Equal(["default-quay-openshift", "default-dockercfg-abcde"], sa!["secrets"]!.AsArray().Select(s => (string)s!["name"]!));
        Assert.Equal(["default-quay-openshift"], sa["imagePullSecrets"]!.AsArray().Select(s => (string)s!["name"]!));
        Assert.DoesNotContain(sa.AsObject(), p => p.Key.StartsWith('$'));

        await Manifests.InstallCrdAsync(f);
        var (crCode, _, _) = await f.SendAsync(HttpMethod.Patch, "/apis/quay.redhat.com/v1/quayintegrations/x", "{}", "application/strategic-merge-patch+json");
        Assert.Equal(415, crCode);
    }

    [Fact]
    public async Task Item12_unknown_fields_are_dropped_and_server_defaults_show_up()
    {
        var ns = await f.CreateNamespaceAsync("i12");
        var (code, secret, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/secrets", "{\"metadata\":{\"name\":\"s\",\"bogusMeta\":1},\"stringData\":{\"a\":\"b\"},\"extra\":true}");
        Assert.Equal(201, code);
        Assert.Equal("Opaque", (string?)secret!["type"]);
        Assert.Null(secret["extra"]);
        Assert.Null(secret["metadata"]!["bogusMeta"]);
        Assert.Null(secret["stringData"]);
        Assert.Null((await K.CoreV1.ReadNamespacedSecretAsync("s", ns)).StringData);
        var nsObj = await K.CoreV1.ReadNamespaceAsync(ns);
        Assert.Equal("Active", nsObj.Status.Phase);
        Assert.Contains("kubernetes", nsObj.Spec.Finalizers);
        Assert.Equal(ns, nsObj.Metadata.Labels["kubernetes.io/metadata.name"]);
        var badDocker = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/secrets", "{\"metadata\":{\"name\":\"d\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"stringData\":{\".dockerconfigjson\":\"not json\"}}");
        Assert.Equal(422, badDocker.Code);
        var typeChange = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/secrets/s", "{\"type\":\"kubernetes.io/dockercfg\",\"data\":{\".dockercfg\":\"e30=\"}}", "application/merge-patch+json");
        Assert.Equal(422, typeChange.Code);
    }

    [Fact]
    public async Task Item13_create_with_a_resourceVersion_fails_and_generateName_is_resolved_after_admission()
    {
        var ns = await f.CreateNamespaceAsync("i13");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "rv", ResourceVersion = "5" } }, ns));
        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        Assert.Contains("resourceVersion should not be set on objects to be created", (string?)Objects.Status(e)["message"]);

        var hookNs = await BuildWebhookAsync("i13");
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true });
        while (_hook.Reviews.TryDequeue(out _)) { }
        var build = OpenShiftBuildTests.DockerBuild("");
        build["metadata"] = new JsonObject { ["generateName"] = "gen-" };
        var created = Objects.Node(await K.CustomObjects.CreateNamespacedCustomObjectAsync(build, "build.openshift.io", "v1", hookNs, "builds"));
        Assert.StartsWith("gen-", (string?)created["metadata"]!["name"]);
        var review = Assert.Single(_hook.Reviews)["request"]!;
        Assert.Null(review["name"]);
        Assert.Null(review["object"]!["metadata"]!["name"]);
        await K.AdmissionregistrationV1.DeleteMutatingWebhookConfigurationAsync("i13");
    }
}
