using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>kube-controller-manager's namespace controller against the API server's namespace lifecycle.</summary>
public sealed class NamespaceDeletionTests
{
    private const string OperatorFinalizer = "quay.redhat.com/quayintegrations";

    [Fact]
    public async Task DeletedNamespace_LosesItsContent_AndVanishes()
    {
        await using var cluster = await StartClusterAsync();
        var name = UniqueName("del");
        await cluster.Oc.NewProjectAsync(name);
        await cluster.Oc.WaitForServiceAccountAsync(name, "builder", WaitTimeout);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" } }, name);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "token" }, StringData = new Dictionary<string, string> { ["a"] = "b" } }, name);
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1",
            ["kind"] = "ImageStream",
            ["metadata"] = new JsonObject { ["name"] = "app" },
        }, "image.openshift.io", "v1", name, "imagestreams");

        await cluster.Client.CoreV1.DeleteNamespaceAsync(name);
        await cluster.Oc.WaitForNamespaceGoneAsync(name, WaitTimeout);

        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(name)).Items);
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedSecretAsync(name)).Items);
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedServiceAccountAsync(name)).Items);
        Assert.Null(cluster.ApiServer.Peek("image.openshift.io", "imagestreams", name, "app"));
    }

    [Fact]
    public async Task NamespaceHeldByTheOperatorFinalizer_IsEmptiedButStays_UntilTheFinalizerGoes()
    {
        await using var cluster = await StartClusterAsync();
        var name = UniqueName("held");
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Finalizers = [OperatorFinalizer] } });
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" } }, name);

        await cluster.Client.CoreV1.DeleteNamespaceAsync(name);

        // The namespace controller empties it and releases its own finalizer; only the operator's holds it now.
        var held = await WaitForAsync(async ct =>
        {
            var ns = await cluster.Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
            return ns.Spec?.Finalizers is null or { Count: 0 } ? ns : null;
        }, "spec.finalizers to be emptied");
        Assert.Equal("Terminating", held.Status.Phase);
        Assert.Equal([OperatorFinalizer], held.Metadata.Finalizers);
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(name)).Items);
        var conditions = held.Status.Conditions.ToDictionary(c => c.Type);
        Assert.Equal(("False", "ContentRemoved"), (conditions["NamespaceContentRemaining"].Status, conditions["NamespaceContentRemaining"].Reason));
        Assert.Equal(("False", "ContentHasNoFinalizers"), (conditions["NamespaceFinalizersRemaining"].Status, conditions["NamespaceFinalizersRemaining"].Reason));
        Assert.Equal(("False", "ResourcesDiscovered"), (conditions["NamespaceDeletionDiscoveryFailure"].Status, conditions["NamespaceDeletionDiscoveryFailure"].Reason));

        // A merge patch without a resourceVersion: the namespace controller may still be writing the namespace's status,
        // so a replace of the copy read above could meet a 409 (it did, once in CI).
        await cluster.Client.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), name);
        await cluster.Oc.WaitForNamespaceGoneAsync(name, WaitTimeout);
    }

    [Fact]
    public async Task ContentWithAFinalizer_KeepsTheNamespace_AndIsReportedInConditions()
    {
        await using var cluster = await StartClusterAsync();
        var name = UniqueName("stuck");
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "guarded", Finalizers = ["example.com/hold"] } }, name);

        await cluster.Client.CoreV1.DeleteNamespaceAsync(name);

        var reported = await WaitForAsync(async ct =>
        {
            var ns = await cluster.Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
            return ns.Status?.Conditions?.Any(c => c.Type == "NamespaceFinalizersRemaining" && c.Status == "True") == true ? ns : null;
        }, "the remaining-finalizers condition");
        var conditions = reported.Status.Conditions.ToDictionary(c => c.Type);
        Assert.Equal("SomeResourcesRemain", conditions["NamespaceContentRemaining"].Reason);
        Assert.Contains("configmaps. has 1 resource instances", conditions["NamespaceContentRemaining"].Message);
        Assert.Equal("SomeFinalizersRemain", conditions["NamespaceFinalizersRemaining"].Reason);
        Assert.Contains("example.com/hold in 1 resource instances", conditions["NamespaceFinalizersRemaining"].Message);
        Assert.Contains("kubernetes", reported.Spec.Finalizers);

        var guarded = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("guarded", name);
        guarded.Metadata.Finalizers = [];
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(guarded, "guarded", name);
        await cluster.Oc.WaitForNamespaceGoneAsync(name, WaitTimeout);
    }

    [Fact]
    public async Task OriginFinalizer_IsReleasedByTheProjectFinalizer_SoTheNamespaceGoes()
    {
        await using var cluster = await StartClusterAsync();
        var name = UniqueName("origin");
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1NamespaceSpec { Finalizers = ["openshift.io/origin"] },
        });
        var created = await cluster.Client.CoreV1.ReadNamespaceAsync(name);
        Assert.Contains("openshift.io/origin", created.Spec.Finalizers);
        Assert.Contains("kubernetes", created.Spec.Finalizers);

        await cluster.Client.CoreV1.DeleteNamespaceAsync(name);
        await cluster.Oc.WaitForNamespaceGoneAsync(name, WaitTimeout);
    }

    [Fact]
    public async Task OriginFinalizer_WithoutOpenShift_HoldsTheNamespace()
    {
        await using var cluster = await StartClusterAsync(o => o.OpenShift = false);
        var name = UniqueName("kept");
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1NamespaceSpec { Finalizers = ["openshift.io/origin"] },
        });

        await cluster.Client.CoreV1.DeleteNamespaceAsync(name);

        // kube-controller-manager releases only its own finalizer; nobody releases OpenShift's in a plain cluster.
        var held = await WaitForAsync(async ct =>
        {
            var ns = await cluster.Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
            return ns.Spec.Finalizers?.Contains("kubernetes") == false ? ns : null;
        }, "the kubernetes finalizer to be released");
        Assert.Equal(["openshift.io/origin"], held.Spec.Finalizers);
    }
}
