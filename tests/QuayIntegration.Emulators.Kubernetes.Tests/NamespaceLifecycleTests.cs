using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

public sealed class NamespaceLifecycleTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private k8s.Kubernetes K => f.Client;
    private const string QboFinalizer = "quay.redhat.com/quayintegrations";

    [Fact]
    public async Task Create_applies_server_defaults_and_DNS_label_rules()
    {
        var ns = await K.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "defaults-ns" } });
        Assert.Equal(["kubernetes"], ns.Spec.Finalizers);
        Assert.Equal("Active", ns.Status.Phase);
        Assert.Equal("defaults-ns", ns.Metadata.Labels["kubernetes.io/metadata.name"]);
        Assert.Null(ns.Metadata.Generation);

        var invalid = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "a.b" } }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Response.StatusCode);
        var status = Objects.Status(invalid);
        Assert.Equal("Namespace", (string?)status["details"]!["kind"]);
        Assert.StartsWith("Namespace \"a.b\" is invalid: metadata.name: Invalid value: \"a.b\": a lowercase RFC 1123 label", (string?)status["message"]);
    }

    [Fact]
    public async Task Undeletable_namespaces_answer_403()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.DeleteNamespaceAsync("default"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
    }

    [Fact]
    public async Task Create_into_a_missing_namespace_is_404()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "does-not-exist"));
        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
        Assert.Equal("namespaces \"does-not-exist\" not found", (string?)Objects.Status(e)["message"]);
    }

    [Fact]
    public async Task Full_lifecycle_with_the_operator_finalizer_as_the_namespace_controller_would_drive_it()
    {
        var name = await f.CreateNamespaceAsync("life");
        await K.CoreV1.PatchNamespaceAsync(new V1Patch($"{{\"metadata\":{{\"finalizers\":[\"{QboFinalizer}\"]}}}}", V1Patch.PatchType.MergePatch), name);
        await K.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "content" } }, name);

        // First DELETE: 200 + the Namespace, Terminating; repeats just return it.
        var (code, body, _) = await f.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{name}");
        Assert.Equal(200, code);
        Assert.Equal("Namespace", (string?)body!["kind"]);
        Assert.Equal("Terminating", (string?)body["status"]!["phase"]);
        var again = await f.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{name}");
        Assert.Equal(200, again.Code);
        Assert.Equal((string?)body["metadata"]!["resourceVersion"], (string?)again.Body!["metadata"]!["resourceVersion"]);
        Assert.Single((await K.CoreV1.ListNamespaceAsync(fieldSelector: $"metadata.name={name},status.phase=Terminating")).Items);

        // Creates inside are refused; updates and deletes still work.
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "new" } }, name));
        Assert.Equal(HttpStatusCode.Forbidden, refused.Response.StatusCode);
        var status = Objects.Status(refused);
        Assert.Equal($"secrets \"new\" is forbidden: unable to create new content in namespace {name} because it is being terminated", (string?)status["message"]);
        Assert.Equal(("new", "secrets"), ((string?)status["details"]!["name"], (string?)status["details"]!["kind"]));
        Assert.Equal("NamespaceTerminating", (string?)status["details"]!["causes"]![0]!["reason"]);
        Assert.Equal("metadata.namespace", (string?)status["details"]!["causes"]![0]!["field"]);
        await K.CoreV1.DeleteNamespacedSecretAsync("content", name);

        // Finalizers can be removed but not added while terminating.
        var adding = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.PatchNamespaceAsync(
            new V1Patch($"{{\"metadata\":{{\"finalizers\":[\"{QboFinalizer}\",\"x.io/other\"]}}}}", V1Patch.PatchType.MergePatch), name));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, adding.Response.StatusCode);

        // The namespace controller removes "kubernetes" through /finalize; the operator's finalizer still holds it.
        var current = await K.CoreV1.ReadNamespaceAsync(name);
        current.Spec.Finalizers = [];
        var finalized = await K.CoreV1.ReplaceNamespaceFinalizeAsync(current, name);
        Assert.Empty(finalized.Spec.Finalizers ?? []);
        Assert.NotNull(await K.CoreV1.ReadNamespaceAsync(name));

        // The write that drops the last finalizer removes it, and a watch sees DELETED.
        var rv = (await K.CoreV1.ReadNamespaceAsync(name)).Metadata.ResourceVersion;
        var ns = await K.CoreV1.ReadNamespaceAsync(name);
        ns.Metadata.Finalizers = [];
        await K.CoreV1.ReplaceNamespaceAsync(ns, name);
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.ReadNamespaceAsync(name));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
        var events = new List<WatchEventType>();
        await foreach (var (type, _) in K.CoreV1.WatchListNamespaceAsync(fieldSelector: $"metadata.name={name}", resourceVersion: rv, timeoutSeconds: 1))
            events.Add(type);
        Assert.Equal([WatchEventType.Deleted], events);
    }

    [Fact]
    public async Task Status_changes_only_through_the_status_subresource()
    {
        var name = await f.CreateNamespaceAsync("st");
        var ns = await K.CoreV1.ReadNamespaceAsync(name);
        ns.Status.Conditions = [new V1NamespaceCondition { Type = "NamespaceContentRemaining", Status = "False", Reason = "ContentRemoved" }];
        var viaMain = await K.CoreV1.ReplaceNamespaceAsync(ns, name);
        Assert.Null(viaMain.Status.Conditions);
        var viaStatus = await K.CoreV1.ReplaceNamespaceStatusAsync(viaMain.With(s => s.Status.Conditions = ns.Status.Conditions), name);
        Assert.Equal("ContentRemoved", Assert.Single(viaStatus.Status.Conditions).Reason);
    }
}

internal static class Mutate
{
    public static T With<T>(this T o, Action<T> change)
    {
        change(o);
        return o;
    }
}
