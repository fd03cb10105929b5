using k8s;
using k8s.Models;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

[Collection(OperatorCollection.Name)]
public sealed class QuayTrafficTests
{
    [Fact]
    public async Task A_verified_namespace_costs_no_quay_call_until_the_cluster_changes_or_the_drift_check_is_due()
    {
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "10m");
        await env.StartOperatorAsync("operator-1", "--Operator:ResyncPeriod=00:00:00.200");
        await env.CreateNamespaceAsync("quiet");
        await env.CreateImageStreamAsync("quiet", "app");
        await Eventually(() => env.IsSeededAsync("quiet", "openshift_quiet"), "synced");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_quiet", "app")?.UserPermissions.Count >= 3), "repository");

        long NonUserCalls() => env.Quay.Calls.Snapshot().Where(c => c.Route != "/api/v1/user/").Sum(c => c.Count);
        await Task.Delay(500); // let the last writes' watch events settle
        var before = NonUserCalls();
        await Task.Delay(TimeSpan.FromSeconds(2)); // ~10 resyncs of every informer
        Assert.Equal(before, NonUserCalls());

        // A deleted Secret is repaired with one call: the robot's token is read again, since the operator keeps only
        // its digest between reconciles. Nothing else is asked, and the namespace is quiet again afterwards.
        var calls = env.Quay.Calls.Snapshot();
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("deployer-quay-openshift", "quiet");
        await Eventually(() => env.IsSeededAsync("quiet", "openshift_quiet"), "Secret restored");
        var repair = env.Quay.Calls.Snapshot().Where(c => c.Route != "/api/v1/user/")
            .Select(c => (c.Method, c.Route, Count: c.Count - (calls.FirstOrDefault(b => (b.Method, b.Route, b.Status) == (c.Method, c.Route, c.Status))?.Count ?? 0)))
            .Where(c => c.Count > 0).ToList();
        Assert.Equal([("GET", "/api/v1/organization/{orgname}/robots/{robot_shortname}", 1L)], repair);
        var repaired = NonUserCalls();
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(repaired, NonUserCalls());

        // A Secret that lost only a label or annotation is restored without the token: no Quay call.
        await env.Kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/robot":null}}}""", V1Patch.PatchType.MergePatch),
            "builder-quay-openshift", "quiet");
        await Eventually(async () => (await env.GetSecretAsync("quiet", "builder-quay-openshift"))?.Metadata.Annotations?.ContainsKey("quay.redhat.com/robot") == true,
            "annotation restored");
        Assert.Equal(repaired, NonUserCalls());

        // A key someone added to the data goes: the Secret holds the robot's credentials and nothing else. That takes the
        // token (one read of the robot), and the namespace is quiet again afterwards.
        await env.Kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"data":{"extra":"eA=="}}""", V1Patch.PatchType.MergePatch),
            "builder-quay-openshift", "quiet");
        await Eventually(async () => (await env.GetSecretAsync("quiet", "builder-quay-openshift"))?.Data is { Count: 1 } data && data.ContainsKey(".dockerconfigjson"),
            "added key removed");
        Assert.Equal(repaired + 1, NonUserCalls());
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(repaired + 1, NonUserCalls());
    }

    [Fact]
    public async Task A_drift_check_is_two_reads_plus_one_per_service_account_whatever_the_number_of_ImageStreams_and_writes_nothing()
    {
        // driftCheckInterval 2s; only this namespace in scope, so every call counted is its own.
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new System.Text.Json.Nodes.JsonArray("steady"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("steady");
        foreach (var name in new[] { "a", "b", "c", "d", "e" }) await env.CreateImageStreamAsync("steady", name);
        await Eventually(() => env.IsSeededAsync("steady", "openshift_steady"), "synced");
        await Eventually(() => Task.FromResult(new[] { "a", "b", "c", "d", "e" }
            .All(r => env.Quay.State.Repository("openshift_steady", r)?.UserPermissions.Count >= 3)), "repositories");
        await Task.Delay(500);

        var before = env.Quay.Calls.Snapshot().Where(c => c.Route != "/api/v1/user/").ToList();
        await Task.Delay(TimeSpan.FromSeconds(5)); // two or three drift checks
        var during = env.Quay.Calls.Snapshot().Where(c => c.Route != "/api/v1/user/")
            .Select(c => (c.Method, c.Route, c.Status, Count: c.Count - (before.FirstOrDefault(b => (b.Method, b.Route, b.Status) == (c.Method, c.Route, c.Status))?.Count ?? 0)))
            .Where(c => c.Count > 0).ToList();

        Assert.All(during, c => Assert.Equal("GET", c.Method));
        var robots = during.Where(c => c.Route.EndsWith("/robots", StringComparison.Ordinal)).Sum(c => c.Count);
        var prototypes = during.Where(c => c.Route.EndsWith("/prototypes", StringComparison.Ordinal)).Sum(c => c.Count);
        var permissions = during.Where(c => c.Route.EndsWith("/permissions", StringComparison.Ordinal)).Sum(c => c.Count);
        Assert.InRange(robots, 2, 3);
        Assert.Equal(robots, prototypes);
        Assert.Equal(3 * robots, permissions); // one list of repository roles per robot of the matrix
        Assert.Equal(robots + prototypes + permissions, during.Sum(c => c.Count));
    }

    /// <summary>
    /// Setting up a namespace costs the API server each write it needs, once, and no read: the ownership record created ahead of the
    /// organization and written once more at the end (its Created goes with everything else), its status, the
    /// namespace's label, finalizer and ready mark, a Secret and a link per service account (and its Events, which go to
    /// <c>default</c> as a cluster-scoped object's do, among others). Each write is also a watch event in every informer
    /// that caches the kind, so one more per namespace is felt at scale.
    /// </summary>
    [Fact]
    public async Task A_new_namespace_is_set_up_with_each_API_server_write_it_needs_made_once() =>
        Assert.Equal(WritesToSetUpANamespace, await WritesToSetUpAsync(watchLag: null));

    /// <summary>
    /// The same when the watches lag behind the writes (an API server whose watch cache is behind etcd, or a busy
    /// operator): the echo of each of the operator's own writes reaches it late, and the reconcile it causes must read
    /// the namespace, the record, the Secrets and the service accounts as the operator last wrote them, not the older
    /// copies its caches still hold. From those it labelled the namespace again and sent finalizer and link patches
    /// with old resourceVersions (refused, then retried), and read each Secret back from the API server.
    /// </summary>
    [Fact]
    public async Task Watches_that_lag_behind_the_operators_own_writes_cost_no_extra_request() =>
        Assert.Equal(WritesToSetUpANamespace, await WritesToSetUpAsync(watchLag: TimeSpan.FromSeconds(1.5)));

    private static readonly IReadOnlyList<KeyValuePair<string, int>> WritesToSetUpANamespace = new Dictionary<string, int>
    {
        ["create quaynamespaces"] = 1,
        ["update quaynamespaces"] = 1,
        ["patch quaynamespaces/status"] = 1,
        ["patch namespaces"] = 3,
        ["create secrets"] = 3,
        ["patch serviceaccounts"] = 3,
    }.OrderBy(p => p.Key).ToList();

    private static async Task<IReadOnlyList<KeyValuePair<string, int>>> WritesToSetUpAsync(TimeSpan? watchLag)
    {
        // Only this namespace in scope, so every record and Secret write (or read) counted is its own; no drift check (whose
        // status write is its own business) while the echoes come in.
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new System.Text.Json.Nodes.JsonArray("fresh");
            spec["driftCheckInterval"] = "10m";
        });
        await env.CreateNamespaceAsync("fresh");
        await env.CreateImageStreamAsync("fresh", "app");
        // The project as OpenShift leaves it, before the operator looks: its first sync then finds everything it needs.
        await Eventually(async () => (await env.Kube.CoreV1.ListNamespacedServiceAccountAsync("fresh")).Items.Count >= 3
                                     && (await env.Kube.CoreV1.ReadNamespaceAsync("fresh")).Metadata.Annotations?.ContainsKey("openshift.io/sa.scc.mcs") == true,
            "project set up");
        env.Cluster.ApiServer.Requests.Reset();
        var lagging = new[] { "namespaces", "quaynamespaces", "secrets", "serviceaccounts" };
        if (watchLag is { } lag)
            foreach (var resource in lagging) env.Cluster.ApiServer.Faults.SetWatchLag(resource, lag);

        await env.StartOperatorAsync();
        await Eventually(() => env.IsSeededAsync("fresh", "openshift_fresh"), "synced");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_fresh", "app")?.UserPermissions.Count >= 3), "repository");
        await Task.Delay(TimeSpan.FromSeconds(1) + 2 * (watchLag ?? TimeSpan.Zero)); // the echoes of the sync's own writes, which must write nothing

        return env.Cluster.ApiServer.Requests.Requests()
            .Where(r => r.Key.User.StartsWith($"system:serviceaccount:{OperatorNamespace}:", StringComparison.Ordinal)
                        && r.Key.Verb is "create" or "update" or "patch" or "delete" or "get"
                        && r.Key.Namespace is null or "fresh" && r.Key.Resource is not "quayintegrations")
            .GroupBy(r => $"{r.Key.Verb} {r.Key.ResourcePath}")
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Value))
            .OrderBy(p => p.Key).ToList();
    }
}
