using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>The mutating admission chain against a real HTTPS webhook with its own CA.</summary>
public sealed class AdmissionWebhookTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>, IAsyncLifetime
{
    private k8s.Kubernetes K => f.Client;
    private TestWebhook _hook = null!;

    public async Task InitializeAsync() => _hook = await TestWebhook.StartAsync("quay-bridge-operator.openshift-operators.svc");
    public async Task DisposeAsync() => await _hook.DisposeAsync();

    /// <summary>Registers one webhook for configmaps in namespaces labelled <c>hook=name</c>; disposing removes it.</summary>
    private async Task<IAsyncDisposable> RegisterAsync(string name, Action<JsonObject>? customize = null, string? caBundle = null)
    {
        var webhook = new JsonObject
        {
            ["name"] = $"{name}.test.io",
            ["clientConfig"] = new JsonObject { ["url"] = _hook.Url(), ["caBundle"] = caBundle ?? _hook.CaBundle },
            ["rules"] = new JsonArray(new JsonObject
            {
                ["operations"] = new JsonArray("CREATE", "UPDATE"), ["apiGroups"] = new JsonArray(""), ["apiVersions"] = new JsonArray("v1"), ["resources"] = new JsonArray("configmaps"),
            }),
            ["namespaceSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["hook"] = name } },
            ["sideEffects"] = "None",
            ["admissionReviewVersions"] = new JsonArray("v1"),
            ["timeoutSeconds"] = 5,
        };
        customize?.Invoke(webhook);
        var config = new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1", ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = name }, ["webhooks"] = new JsonArray(webhook),
        };
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", config.ToJsonString());
        Assert.True(code == 201, body?.ToJsonString());
        return new Cleanup(async () => await K.AdmissionregistrationV1.DeleteMutatingWebhookConfigurationAsync(name));
    }

    private sealed class Cleanup(Func<Task> action) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await action();
    }

    private async Task<string> LabelledNamespaceAsync(string hook)
    {
        var ns = await K.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { GenerateName = "adm-", Labels = new Dictionary<string, string> { ["hook"] = hook } } });
        return ns.Metadata.Name;
    }

    [Fact]
    public async Task Webhook_receives_a_real_AdmissionReview_and_its_patch_is_applied()
    {
        await using var _ = await RegisterAsync("patcher");
        var ns = await LabelledNamespaceAsync("patcher");
        _hook.Respond = _ => Task.FromResult<JsonObject?>(TestWebhook.Patch(
            new JsonObject { ["op"] = "add", ["path"] = "/metadata/annotations", ["value"] = new JsonObject { ["quay-registry-operator.quay.redhat.com/quay-registry-operator-managed"] = "true" } }));
        while (_hook.Reviews.TryDequeue(out var __)) { }

        var cm = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { GenerateName = "gen-" } }, ns);
        Assert.Equal("true", cm.Metadata.Annotations["quay-registry-operator.quay.redhat.com/quay-registry-operator-managed"]);

        Assert.True(_hook.Reviews.TryDequeue(out var review));
        Assert.Equal("admission.k8s.io/v1", (string?)review!["apiVersion"]);
        Assert.Equal("AdmissionReview", (string?)review["kind"]);
        var request = review["request"]!;
        Assert.False(string.IsNullOrEmpty((string?)request["uid"]));
        Assert.Equal("ConfigMap", (string?)request["kind"]!["kind"]);
        Assert.Equal("configmaps", (string?)request["resource"]!["resource"]);
        Assert.Equal("CREATE", (string?)request["operation"]);
        Assert.Equal(ns, (string?)request["namespace"]);
        Assert.Null(request["name"]); // generateName is resolved after admission
        Assert.Equal("gen-", (string?)request["object"]!["metadata"]!["generateName"]);
        Assert.Null(request["oldObject"]);
        Assert.False((bool)request["dryRun"]!);
        Assert.Equal("CreateOptions", (string?)request["options"]!["kind"]);
        Assert.Equal("system:admin", (string?)request["userInfo"]!["username"]);

        // UPDATE carries the stored object as oldObject.
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true });
        await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":\"b\"}}", V1Patch.PatchType.MergePatch), cm.Metadata.Name, ns);
        var update = _hook.Reviews.Last()["request"]!;
        Assert.Equal("UPDATE", (string?)update["operation"]);
        Assert.Equal(cm.Metadata.Name, (string?)update["name"]);
        Assert.Equal(cm.Metadata.ResourceVersion, (string?)update["oldObject"]!["metadata"]!["resourceVersion"]);
        Assert.Equal("b", (string?)update["object"]!["data"]!["a"]);
    }

    [Fact]
    public async Task Denials_reach_the_client_with_the_webhook_prefix_and_a_code_of_at_least_400()
    {
        await using var _ = await RegisterAsync("denier");
        var ns = await LabelledNamespaceAsync("denier");
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = false, ["status"] = new JsonObject { ["message"] = "not today" } });
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns));
        Assert.Equal(HttpStatusCode.BadRequest, e.Response.StatusCode);
        Assert.Equal("admission webhook \"denier.test.io\" denied the request: not today", (string?)Objects.Status(e)["message"]);

        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = false, ["status"] = new JsonObject { ["code"] = 403, ["reason"] = "Forbidden" } });
        var e2 = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns));
        Assert.Equal(HttpStatusCode.Forbidden, e2.Response.StatusCode);
        Assert.Equal("admission webhook \"denier.test.io\" denied the request without explanation", (string?)Objects.Status(e2)["message"]);
        Assert.Empty((await K.CoreV1.ListNamespacedConfigMapAsync(ns)).Items);
    }

    [Fact]
    public async Task FailurePolicy_decides_what_a_broken_webhook_means()
    {
        var ns = await LabelledNamespaceAsync("broken");
        _hook.Respond = req => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true, ["uid"] = "wrong-uid" });
        await using (await RegisterAsync("broken"))
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns));
            Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
            Assert.StartsWith("failed calling webhook \"broken.test.io\":", (string?)Objects.Status(e)["message"]);
        }
        await using (await RegisterAsync("broken", w => w["failurePolicy"] = "Ignore"))
        {
            await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns);
        }
    }

    [Fact]
    public async Task Timeouts_are_call_failures()
    {
        var ns = await LabelledNamespaceAsync("slow");
        using var release = new CancellationTokenSource();
        _hook.Respond = async _ =>
        {
            try { await Task.Delay(TimeSpan.FromSeconds(10), release.Token); } catch (OperationCanceledException) { }
            return new JsonObject { ["allowed"] = true };
        };
        await using (await RegisterAsync("slow", w => w["timeoutSeconds"] = 1))
        {
            var started = DateTime.UtcNow;
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns));
            Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
            Assert.Contains("context deadline exceeded", (string?)Objects.Status(e)["message"]);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        }
        release.Cancel();
    }

    [Fact]
    public async Task The_caBundle_is_verified()
    {
        var ns = await LabelledNamespaceAsync("untrusted");
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true });
        await using var otherServer = await TestHttpsServer.StartAsync(_ => Task.CompletedTask);
        var wrongCa = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(otherServer.CaPem));
        await using (await RegisterAsync("untrusted", caBundle: wrongCa))
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns));
            Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
            Assert.Contains("failed calling webhook", (string?)Objects.Status(e)["message"]);
        }
    }

    [Fact]
    public async Task NamespaceSelector_objectSelector_and_rules_pick_what_is_sent()
    {
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = false });
        await using var _ = await RegisterAsync("selective", w =>
        {
            w["objectSelector"] = new JsonObject { ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "skip", ["operator"] = "DoesNotExist" }) };
            w["rules"]![0]!["operations"] = new JsonArray("CREATE");
        });
        var matching = await LabelledNamespaceAsync("selective");
        var other = await LabelledNamespaceAsync("something-else");
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, other); // namespace not selected
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "y", Labels = new Dictionary<string, string> { ["skip"] = "1" } } }, matching); // object not selected
        await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":\"b\"}}", V1Patch.PatchType.MergePatch), "y", matching); // UPDATE not in the rule
        await K.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, matching); // other resource
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "z" } }, matching));
        Assert.Equal(HttpStatusCode.BadRequest, e.Response.StatusCode);
    }

    [Fact]
    public async Task A_patch_that_does_not_apply_is_500_even_with_failurePolicy_Ignore()
    {
        var ns = await LabelledNamespaceAsync("badpatch");
        _hook.Respond = _ => Task.FromResult<JsonObject?>(TestWebhook.Patch(new JsonObject
        {
            ["op"] = "add", ["path"] = "/metadata/annotations/quay-registry-operator.quay.redhat.com~1quay-registry-operator-managed", ["value"] = "true",
        }));
        await using var _ = await RegisterAsync("badpatch", w => w["failurePolicy"] = "Ignore");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns));
        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        Assert.Equal("InternalError", (string?)Objects.Status(e)["reason"]);
        // With the parent present, the same escaped path applies.
        var cm = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "y", Annotations = new Dictionary<string, string> { ["a"] = "b" } } }, ns);
        Assert.Equal("true", cm.Metadata.Annotations["quay-registry-operator.quay.redhat.com/quay-registry-operator-managed"]);
    }

    [Fact]
    public async Task Service_references_and_dry_run_reach_the_webhook()
    {
        var ns = await LabelledNamespaceAsync("service");
        f.Server.MapService("quay-bridge-operator", "openshift-operators", 443, _hook.Server.HostAndPort);
        _hook.Respond = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true });
        await using var _ = await RegisterAsync("service", w => w["clientConfig"] = new JsonObject
        {
            ["service"] = new JsonObject { ["name"] = "quay-bridge-operator", ["namespace"] = "openshift-operators", ["path"] = "/admissionwebhook" },
            ["caBundle"] = _hook.CaBundle,
        });
        while (_hook.Reviews.TryDequeue(out var __)) { }
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns, dryRun: "All");
        Assert.True(_hook.Reviews.TryDequeue(out var review));
        Assert.True((bool)review!["request"]!["dryRun"]!);
    }
}
