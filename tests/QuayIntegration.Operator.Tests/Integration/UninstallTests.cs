using k8s;
using k8s.Autorest;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// Taking the operator off a cluster, as the README's Uninstalling section says, and out of order, through kubectl and
/// an API server that deletes custom resources definitions as apiextensions-apiserver does (Terminating, finalizers of
/// the custom resources honoured, no new ones).
/// </summary>
[Collection(OperatorCollection.Name)]
public sealed class UninstallTests
{
    private const string NamespaceFinalizer = "quay.redhat.com/quayintegrations";
    private static readonly string[] Crds = ["quaynamespaces.quay.redhat.com", "quayintegrations.quay.redhat.com"];

    [Fact]
    public async Task Uninstalling_in_order_leaves_nothing_held_and_keeps_what_cleanupPolicy_Keep_keeps()
    {
        await using var env = await StartAsync();
        var op = await StartWithNamespaceSetUpAsync(env, "kept");
        Assert.Contains(NamespacesStillHeld(await FinalizerColumnsAsync(env)), n => n == "kept");

        // Step 2: kubectl waits until the QuayIntegration is gone, which it is once its namespaces are released; the
        // README's check then lists no namespace.
        await Kubectl.RunAsync(env.Cluster.KubeconfigPath, "delete", "qi", "--all", "--timeout=60s");
        Assert.Null(await env.GetIntegrationAsync());
        Assert.Empty(NamespacesStillHeld(await FinalizerColumnsAsync(env)));
        var released = (await env.GetNamespaceAsync("kept"))!.Metadata;
        Assert.False(released.Labels?.ContainsKey("quay.redhat.com/managed") ?? false);

        // Step 3: the operator goes, then its CRDs, at once: nothing holds them any more.
        await env.StopOperatorAsync(op);
        await Kubectl.RunAsync(env.Cluster.KubeconfigPath, ["delete", "crd", .. Crds, "--timeout=30s"]);
        foreach (var crd in Crds) Assert.False(await CrdExistsAsync(env, crd), $"{crd} is still there");

        await env.Kube.CoreV1.DeleteNamespaceAsync("kept");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("kept", TimeSpan.FromSeconds(30));
        var kept = env.Quay.State.Organization("openshift_kept");
        Assert.NotNull(kept);
        Assert.Equal(3, kept.Robots.Count);
    }

    /// <summary>
    /// The CRDs deleted while the operator runs: the QuayIntegration and the QuayNamespaces are marked for deletion at
    /// once. The operator carries the QuayIntegration's deletion out (its namespaces released under cleanupPolicy Keep),
    /// the records held by their finalizers go as their namespaces are released, and the CRDs go after them. (A
    /// namespace created meanwhile is selected by no integration, the one there is being deleted.)
    /// </summary>
    [Fact]
    public async Task CRDs_deleted_while_the_operator_runs_go_once_it_has_released_every_namespace()
    {
        await using var env = await StartAsync();
        await StartWithNamespaceSetUpAsync(env, "held");

        await Kubectl.RunAsync(env.Cluster.KubeconfigPath, ["delete", "crd", .. Crds, "--wait=false"]);
        await env.CreateNamespaceAsync("late");
        await Eventually(async () => !await CrdExistsAsync(env, Crds[0]) && !await CrdExistsAsync(env, Crds[1]),
            "both CRDs gone once the operator let their objects go", TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(NamespaceFinalizer, (await env.GetNamespaceAsync("held"))!.Metadata.Finalizers ?? []);
        Assert.NotNull(env.Quay.State.Organization("openshift_held"));
        await Task.Delay(1500); // room for a (wrong) setup of the late namespace
        Assert.Null(env.Quay.State.Organization("openshift_late"));
        foreach (var ns in new[] { "held", "late" })
        {
            await env.Kube.CoreV1.DeleteNamespaceAsync(ns);
            await env.Cluster.Oc.WaitForNamespaceGoneAsync(ns, TimeSpan.FromSeconds(30));
        }
        Assert.NotNull(env.Quay.State.Organization("openshift_held"));
    }

    /// <summary>
    /// The QuayNamespace CRD alone deleted while a managed namespace's record holds it Terminating, the QuayIntegration
    /// untouched: no record can be created (405), so a new namespace gets nothing in Quay, is not claimed, and is told
    /// why; the managed one keeps working.
    /// </summary>
    [Fact]
    public async Task While_the_QuayNamespace_CRD_is_being_deleted_a_new_namespace_gets_nothing_in_Quay_and_is_told_why()
    {
        await using var env = await StartAsync();
        await StartWithNamespaceSetUpAsync(env, "held");

        await Kubectl.RunAsync(env.Cluster.KubeconfigPath, "delete", "crd", Crds[0], "--wait=false");
        await env.CreateNamespaceAsync("late");
        var failure = await env.EventAsync("default", e => e.InvolvedObject.Name == "late" && e.Type == "Warning", "the late namespace's failure");
        Assert.Contains("CustomResourceDefinition is being deleted or is gone", failure.Message);
        Assert.Contains("create not allowed while custom resource definition is terminating", failure.Message);
        Assert.Null(env.Quay.State.Organization("openshift_late"));
        Assert.DoesNotContain(NamespaceFinalizer, (await env.GetNamespaceAsync("late"))!.Metadata.Finalizers ?? []);
        Assert.True(await CrdExistsAsync(env, Crds[0]), "held's record keeps the CRD until the namespace is released");
        Assert.True(await env.IsSeededAsync("held", "openshift_held"));
    }

    /// <summary>The operator started, and a namespace set up by it in Quay.</summary>
    private static async Task<RunningOperator> StartWithNamespaceSetUpAsync(OperatorEnvironment env, string ns)
    {
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync(ns);
        await Eventually(() => env.IsSeededAsync(ns, $"openshift_{ns}"), "set up");
        return op;
    }

    /// <summary>The README's check after step 2: the namespaces with their finalizers, as kubectl prints them.</summary>
    private static Task<string> FinalizerColumnsAsync(OperatorEnvironment env) =>
        Kubectl.RunAsync(env.Cluster.KubeconfigPath, "get", "ns", "-o", "custom-columns=NAME:.metadata.name,FINALIZERS:.metadata.finalizers");

    /// <summary>What the README's <c>| grep quay.redhat.com/quayintegrations</c> keeps, by namespace name.</summary>
    private static List<string> NamespacesStillHeld(string columns) =>
        columns.Split('\n').Where(line => line.Contains(NamespaceFinalizer)).Select(line => line.Split(' ', 2)[0]).ToList();

    private static async Task<bool> CrdExistsAsync(OperatorEnvironment env, string name)
    {
        try
        {
            await env.Kube.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
