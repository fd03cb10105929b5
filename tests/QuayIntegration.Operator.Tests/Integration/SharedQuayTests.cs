using k8s;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// Two clusters (two emulated API servers, each with its own operator) sharing one emulated Quay, as federated
/// platforms do. Distinct organization prefixes coexist. The same prefix with a namespace of the same name on both
/// would make both want one organization: the cluster that did not create it leaves it alone and says which cluster
/// it belongs to, while the other keeps working; deleting the namespace on either never deletes the other's content.
/// </summary>
[Collection(OperatorCollection.Name)]
public sealed class SharedQuayTests
{
    [Fact]
    public async Task Two_clusters_share_a_quay_and_neither_ever_adopts_changes_or_deletes_what_the_other_created()
    {
        await using var east = await StartAsync();
        await using var west = await StartAsync(spec => spec["clusterID"] = "west", sharedQuay: east.Quay, sharedToken: east.Token);
        await east.StartOperatorAsync("east-operator");
        await west.StartOperatorAsync("west-operator");

        // Distinct prefixes (openshift_ and west_): the same namespace name on both clusters, two organizations.
        await east.CreateNamespaceAsync("shared");
        await west.CreateNamespaceAsync("shared");
        await Eventually(() => east.IsSeededAsync("shared", "openshift_shared"), "east's organization");
        await Eventually(() => west.IsSeededAsync("shared", "west_shared", "west"), "west's organization");

        // The same prefix: west now maps its namespaces to openshift_ too. East made openshift_team first.
        await west.PatchIntegrationSpecAsync(new System.Text.Json.Nodes.JsonObject { ["organizationPrefix"] = "openshift" });
        await Eventually(async () => await west.GetIntegrationAsync() is { } qi
                                     && qi["status"]?["observedGeneration"]?.GetValue<long>() == qi["metadata"]!["generation"]!.GetValue<long>(),
            "west's operator to act on the new prefix");
        await east.CreateNamespaceAsync("team");
        await Eventually(() => east.IsSeededAsync("team", "openshift_team"), "east's team organization");
        var before = Snapshot(east, "openshift_team");
        await west.CreateNamespaceAsync("team");
        await Eventually(async () => (await west.GetRecordAsync("team"))?["status"]?["phase"]?.GetValue<string>() == "Conflict",
            "west reports the organization as another cluster's");
        var status = (await west.GetRecordAsync("team"))!["status"]!;
        Assert.Contains("belongs to the QuayIntegration operator of another cluster (clusterID openshift", status["lastError"]!.GetValue<string>());
        await west.EventAsync("default", e => e.InvolvedObject.Name == "team" && e.Reason == "OrganizationOfAnotherCluster" && e.Message.Contains("clusterID openshift"),
            "the OrganizationOfAnotherCluster Event");
        await Eventually(async () => (await west.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.GetValue<int>() >= 1, "west counts it failing");
        await Task.Delay(1000); // its later reconciles (a label written, a drift check) must not take it over either
        Assert.DoesNotContain("quay.redhat.com/quayintegrations", (await west.GetNamespaceAsync("team"))!.Metadata.Finalizers ?? []);
        Assert.Null(await west.GetSecretAsync("team", "builder-quay-west"));

        // West changed nothing in east's organization, and east keeps it in step.
        Assert.Equal(before, Snapshot(east, "openshift_team"));
        await east.CreateImageStreamAsync("team", "app");
        await Eventually(() => Task.FromResult(east.Quay.State.Repository("openshift_team", "app") is not null), "east still syncs team");

        // Deleting the namespace on the cluster that did not create the organization deletes nothing ...
        await west.Kube.CoreV1.DeleteNamespaceAsync("team");
        await west.Cluster.Oc.WaitForNamespaceGoneAsync("team");
        Assert.Equal(before, Snapshot(east, "openshift_team"));
        Assert.NotNull(east.Quay.State.Repository("openshift_team", "app"));
        // ... and on the cluster that did, it deletes its organization, never the other cluster's.
        await east.Kube.CoreV1.DeleteNamespaceAsync("team");
        await east.Cluster.Oc.WaitForNamespaceGoneAsync("team");
        Assert.Null(east.Quay.State.Organization("openshift_team"));
        Assert.NotNull(east.Quay.State.Organization("west_shared"));
        Assert.NotNull(east.Quay.State.Organization("openshift_shared"));
    }

    /// <summary>
    /// The same prefix, and a create of west's that may have happened (a 503) when east makes the organization for its
    /// namespace of the same name, while west's second create is held on its way. Both operators use the same Quay user,
    /// so the organization looks like west's own to west (its user administers it, its email is the one every operator's
    /// create sends): east's robots in it, marked with east's cluster, are what tell it is east's. West reports the
    /// conflict and never records the organization as one it created; nor does its teardown take it for its own.
    /// </summary>
    /// <summary>
    /// A namespace whose organization is another cluster's counts as failing after a restart too, until it is tried
    /// again. (The record's Conflict phase was read as "not looked at yet": Ready turned True and lastError cleared at
    /// every restart, and the failing-namespaces alert started over.)
    /// </summary>
    [Fact]
    public async Task A_namespace_whose_organization_is_another_clusters_still_counts_failing_after_a_restart()
    {
        await using var east = await StartAsync();
        await using var west = await StartAsync(spec => { spec["clusterID"] = "west"; spec["organizationPrefix"] = "openshift"; },
            sharedQuay: east.Quay, sharedToken: east.Token);
        await east.StartOperatorAsync("east-operator");
        var first = await west.StartOperatorAsync("west-operator");
        await east.CreateNamespaceAsync("team");
        await Eventually(() => east.IsSeededAsync("team", "openshift_team"), "east's organization");
        await west.CreateNamespaceAsync("team");
        await Eventually(async () => (await west.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.GetValue<int>() == 1, "west counts it failing");

        await west.StopOperatorAsync(first);
        east.Quay.Faults.Add(new FaultRule { PathContains = "openshift_team", LatencyMs = 4000 });
        await west.StartOperatorAsync("west-operator-2");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            var status = (await west.GetIntegrationAsync())!["status"]!;
            Assert.Equal("1", status["failingNamespaces"]?.ToString());
            Assert.Contains("another cluster", status["lastError"]?.ToString());
            Assert.Equal("False", (await west.ConditionAsync("Ready"))?.Status);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task An_organization_another_cluster_made_while_a_create_was_pending_is_never_recorded_as_created()
    {
        await using var east = await StartAsync(spec => spec["allowlistNamespaces"] = new System.Text.Json.Nodes.JsonArray("dup"));
        await using var west = await StartAsync(spec =>
        {
            spec["clusterID"] = "west";
            spec["organizationPrefix"] = "openshift";
            spec["allowlistNamespaces"] = new System.Text.Json.Nodes.JsonArray("dup");
        }, sharedQuay: east.Quay, sharedToken: east.Token);
        east.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [503], Times = 1 });
        var held = new FaultRule { Route = "/api/v1/organization/", Method = "POST", LatencyMs = 5000, Times = 1 };
        east.Quay.Faults.Add(held);
        await east.StartOperatorAsync("east-operator");
        await west.StartOperatorAsync("west-operator");

        await west.CreateNamespaceAsync("dup");
        await Eventually(() => Task.FromResult(held.TimesMatched > 0), "west's second create on its way", TimeSpan.FromSeconds(30));
        await east.CreateNamespaceAsync("dup");
        await Eventually(() => east.IsSeededAsync("dup", "openshift_dup"), "east's organization, made while west's create is held");
        var before = Snapshot(east, "openshift_dup");

        await Eventually(async () => (await west.GetRecordAsync("dup"))?["status"]?["phase"]?.GetValue<string>() == "Conflict",
            "west reports the organization as another cluster's", TimeSpan.FromSeconds(30));
        Assert.Equal("Creating", await west.RecordedOriginAsync("dup", "openshift_dup"));
        Assert.Equal(before, Snapshot(east, "openshift_dup"));

        // West's namespace goes: its teardown reads the same marks, takes the organization for east's, and lets go of
        // it, deleting nothing.
        await west.Kube.CoreV1.DeleteNamespaceAsync("dup");
        await west.Cluster.Oc.WaitForNamespaceGoneAsync("dup");
        await Eventually(async () => await west.GetRecordAsync("dup") is null, "west's record let go");
        Assert.Equal(before, Snapshot(east, "openshift_dup"));
    }

    /// <summary>The robots (with tokens), default permissions and repositories of an organization.</summary>
    private static string Snapshot(OperatorEnvironment env, string org)
    {
        var state = env.Quay.State.Organization(org)!;
        return string.Join(";",
            state.Robots.OrderBy(r => r.Name).Select(r => $"robot {r.Name}={r.Token}")
                .Concat(state.Prototypes.OrderBy(p => p.DelegateName).Select(p => $"prototype {p.DelegateName}={p.Role}")));
    }
}
