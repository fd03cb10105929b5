using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Cli;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>The controllers keep working through what real API servers do to clients: dropped and expired watches, conflicts, errors.</summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task Controllers_ReconnectAfterDroppedAndExpiredWatches()
    {
        await using var cluster = await StartClusterAsync();
        var before = UniqueName("before");
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = before } });
        await cluster.Oc.WaitForServiceAccountAsync(before, "builder", WaitTimeout);

        // Every controller's watch is cut, and resuming from its last resourceVersion answers 410: they must re-list.
        cluster.ApiServer.Faults.CompactHistory();
        cluster.ApiServer.Faults.ExpireNextWatches(count: 20);
        Assert.True(cluster.ApiServer.Faults.DropWatches() > 0);

        var after = UniqueName("after");
        await cluster.Oc.NewProjectAsync(after);
        await cluster.Oc.WaitForServiceAccountAsync(after, "default", WaitTimeout);
        await cluster.Oc.WaitForServiceAccountAsync(after, "deployer", WaitTimeout);
        await WaitForAsync(async ct => (await cluster.Client.CoreV1.ReadNamespaceAsync(after, cancellationToken: ct)).Metadata.Annotations?
            .ContainsKey("openshift.io/sa.scc.mcs") == true ? (object)true : null, "annotations after the watches came back");
        await cluster.Oc.NewAppAsync(after, AppTemplate.HttpdExample);
        await cluster.Oc.WaitForBuildPhaseAsync(after, "httpd-example-1", "Complete", WaitTimeout);
    }

    [Fact]
    public async Task BuildRunner_RetriesConflictsAndServerErrors_OnItsStatusWrites()
    {
        await using var cluster = await StartClusterAsync();
        var ns = UniqueName("flaky");
        await cluster.Oc.NewProjectAsync(ns);

        cluster.ApiServer.Faults.InjectStatus(409, count: 2, resource: "builds", verb: "update");
        cluster.ApiServer.Faults.InjectStatus(500, count: 2, resource: "builds", verb: "update");
        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "flaky", output: null);

        await cluster.Oc.WaitForBuildPhaseAsync(ns, "flaky", "Complete", WaitTimeout);
    }

    [Fact]
    public async Task ManyProjects_WithBuilds_CreatedAndDeletedConcurrently_AllSettle()
    {
        await using var cluster = await StartClusterAsync();
        var names = Enumerable.Range(0, 12).Select(i => UniqueName($"churn{i}")).ToList();

        await Task.WhenAll(names.Select(async name =>
        {
            await cluster.Oc.NewProjectAsync(name);
            await cluster.Oc.NewAppAsync(name, AppTemplate.HttpdExample);
        }));
        await Task.WhenAll(names.Select(name => cluster.Oc.WaitForBuildPhaseAsync(name, "httpd-example-1", "Complete", WaitTimeout)));
        await Task.WhenAll(names.Select(name => cluster.Oc.WaitForServiceAccountAsync(name, "deployer", WaitTimeout)));

        await Task.WhenAll(names.Select(name => cluster.Client.CoreV1.DeleteNamespaceAsync(name)));
        await Task.WhenAll(names.Select(name => cluster.Oc.WaitForNamespaceGoneAsync(name, WaitTimeout)));
        Assert.Empty((await cluster.Client.CustomObjects.ListClusterCustomObjectAsync<System.Text.Json.Nodes.JsonObject>("build.openshift.io", "v1", "builds"))["items"]!.AsArray());
    }
}
