using QuayIntegration.Operator.Hosting;
using QuayIntegration.Testing;
using k8s;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Tests.Support;
using Serilog.Events;
using Xunit.Abstractions;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

[Collection(OperatorCollection.Name)]
public sealed class LeaderElectionTests(ITestOutputHelper output)
{
    private const string LeaseName = "quay-integration-operator";

    [Fact]
    public async Task Two_replicas_never_lead_together_and_the_standby_takes_over()
    {
        await using var env = await StartAsync();
        var a = await env.StartOperatorAsync("replica-a");
        var b = await env.StartOperatorAsync("replica-b");
        await env.CreateNamespaceAsync("ha-1");
        await Eventually(() => env.IsSeededAsync("ha-1", "openshift_ha-1"), "synced by the leader");

        var leaders = new[] { a, b }.Where(o => o.Service<LeaderElector>().IsLeader).ToList();
        var leader = Assert.Single(leaders);
        var standby = leader == a ? b : a;
        var lease = await env.Kube.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, OperatorNamespace);
        Assert.Equal(leader.Service<LeaderElector>().Identity, lease.Spec.HolderIdentity);

        await env.StopOperatorAsync(leader); // releases the Lease on graceful shutdown
        await Eventually(() => Task.FromResult(standby.Service<LeaderElector>().IsLeader), "standby became leader");
        await env.CreateNamespaceAsync("ha-2");
        await Eventually(() => env.IsSeededAsync("ha-2", "openshift_ha-2"), "synced by the new leader");
        lease = await env.Kube.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, OperatorNamespace);
        Assert.Equal(standby.Service<LeaderElector>().Identity, lease.Spec.HolderIdentity);
        Assert.True(lease.Spec.LeaseTransitions >= 1);
    }

    /// <summary>
    /// The split brain of issue 13: the leader's Lease traffic stalls (its connection stops answering) while everything
    /// else, and the standby's Lease traffic, goes through. The leader must stop its controllers — every reconcile
    /// ended — before the standby starts its own, and must write nothing after the standby took over.
    /// </summary>
    [Fact]
    public async Task A_leader_whose_lease_requests_stall_stops_its_controllers_before_the_standby_starts_leading()
    {
        await using var env = await StartAsync();
        env.RestartOperatorsThatLoseTheirLease = false; // A's exit is what is looked at
        var server = env.Cluster.ApiServer;
        var kubeconfigs = Directory.CreateTempSubdirectory("leader-stall-").FullName;
        try
        {
            server.Requests.KeepTimeline = true;
            var logA = new CapturedLog();
            // Each replica authenticates as its own user, so the stall can single out A's requests.
            var a = await env.StartOperatorAsync("replica-a", ["--kubeconfig", server.KubeconfigFor("replica-a", kubeconfigs), .. logA.OperatorArgs("Controller")]);
            var electorA = a.Service<LeaderElector>();
            await Eventually(() => Task.FromResult(electorA.IsLeader), "replica A leads");
            var b = await env.StartOperatorAsync("replica-b", ["--kubeconfig", server.KubeconfigFor("replica-b", kubeconfigs)]);
            var electorB = b.Service<LeaderElector>();
            await env.CreateNamespaceAsync("split-0");
            await Eventually(() => env.IsSeededAsync("split-0", "openshift_split-0"), "synced by A");
            Assert.False(electorB.IsLeader);

            var stalledAt = DateTimeOffset.UtcNow;
            var stall = server.Faults.Stall(resource: "leases", ns: OperatorNamespace, user: "replica-a");
            // Work keeps coming for whichever replica leads, so that a leader still acting would show in its writes.
            using var stopWork = new CancellationTokenSource();
            var work = KeepCreatingNamespacesAsync(env, "split", stopWork.Token);
            await Eventually(() => Task.FromResult(electorB.IsLeader), "replica B leads", TimeSpan.FromSeconds(20));
            await Task.Delay(TimeSpan.FromSeconds(2)); // B at work; A, were it still acting, too
            await stopWork.CancelAsync();
            var created = await work;

            var bStarted = electorB.BecameLeaderAt!.Value;
            var writesOfA = WritesOf(server, "replica-a");
            Assert.Contains(writesOfA, w => w.At < stalledAt); // A did act while it led
            var late = writesOfA.Where(w => w.At >= bStarted).ToList();
            Assert.True(late.Count == 0, $"A wrote {late.Count} time(s) after B took over: " + string.Join(", ", late.Take(5).Select(w => $"{w.Request.Verb} {w.Request.ResourcePath} {w.Request.Name} at {w.At:O}")));
            Assert.Contains(WritesOf(server, "replica-b"), w => w.At >= bStarted); // and B took up the work

            var aStopped = electorA.StoppedLeadingAt ?? throw new Xunit.Sdk.XunitException("replica A never stepped down");
            output.WriteLine($"stall → A's controllers stopped: {(aStopped - stalledAt).TotalSeconds:0.000} s; stall → B leading: {(bStarted - stalledAt).TotalSeconds:0.000} s; gap: {(bStarted - aStopped).TotalSeconds:0.000} s");
            Assert.True(stall.Held > 0, "A tried to renew");
            Assert.False(electorA.IsLeader);
            // A stops its process with a failure, so its pod shows a restart after an error (as controller-runtime's).
            await Eventually(() => Task.FromResult(a.Service<OperatorExit>().Code == OperatorCommand.Failed), "A's exit code set");
            Assert.Equal("lost the leader Lease", a.Service<OperatorExit>().Reason);
            Assert.True(aStopped < bStarted, $"A stopped leading at {aStopped:O}, after B started at {bStarted:O}");
            // Step-down comes RenewDeadline (2 s) after A's last renewal, which started before the stall; the rest is the controllers stopping.
            Assert.True(aStopped - stalledAt < TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(1), $"A stepped down {aStopped - stalledAt} after the stall");
            // Every controller's workers had ended (its last reconcile finished) by the time A counted itself stopped.
            var controllersStopped = logA.Events.Where(e => CapturedLog.Render(e).StartsWith("Stopped controller")).ToList();
            Assert.Equal(3, controllersStopped.Count);
            Assert.All(controllersStopped, e => Assert.True(e.Timestamp <= aStopped, $"{CapturedLog.Render(e)} at {e.Timestamp:O}, after {aStopped:O}"));

            var lease = await env.Kube.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, OperatorNamespace);
            Assert.Equal("replica-b", lease.Spec.HolderIdentity);
            Assert.Equal(3, lease.Spec.LeaseDurationSeconds); // OperatorEnvironment's --Operator:LeaderElection:LeaseDuration=00:00:03
            Assert.True(lease.Spec.LeaseTransitions >= 1);
            var last = created[^1];
            await Eventually(() => env.IsSeededAsync(last, "openshift_" + last), "the last namespace synced by B");
        }
        finally
        {
            server.Faults.Reset();
            Directory.Delete(kubeconfigs, recursive: true);
        }
    }

    /// <summary>
    /// A leader whose Lease requests stall stops itself; like the kubelet restarting its pod's container, the test
    /// environment starts it again with the same identity, and once the API server answers again it leads and syncs
    /// what came meanwhile. (Every other test relies on that restart when a busy machine makes a renewal late.)
    /// </summary>
    [Fact]
    public async Task A_leader_that_lost_its_lease_and_is_started_again_leads_and_catches_up()
    {
        await using var env = await StartAsync();
        var server = env.Cluster.ApiServer;
        var kubeconfigs = Directory.CreateTempSubdirectory("leader-restart-").FullName;
        try
        {
            var a = await env.StartOperatorAsync("replica-a", "--kubeconfig", server.KubeconfigFor("replica-a", kubeconfigs));
            var firstProcess = a.App;
            var firstExit = a.Service<OperatorExit>();
            await Eventually(() => Task.FromResult(a.Service<LeaderElector>().IsLeader), "replica A leads");

            var stall = server.Faults.Stall(resource: "leases", ns: OperatorNamespace, user: "replica-a");
            await Eventually(() => Task.FromResult(firstExit.Reason == "lost the leader Lease"), "replica A stopped itself", TimeSpan.FromSeconds(20));
            await env.CreateNamespaceAsync("while-down");
            stall.Release();
            server.Faults.Reset();

            await Eventually(() => Task.FromResult(a.App != firstProcess && a.Service<LeaderElector>().IsLeader), "replica A started again and leading", TimeSpan.FromSeconds(30));
            await Eventually(() => env.IsSeededAsync("while-down", "openshift_while-down"), "what came meanwhile synced");
            // As a restarted container in the same pod: the same address, so probes (and a webhook Service) still reach it.
            using var http = new HttpClient();
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(a.BaseUrl + "/readyz")).StatusCode);
        }
        finally
        {
            server.Faults.Reset();
            Directory.Delete(kubeconfigs, recursive: true);
        }
    }

    /// <summary>Writes (create, update, patch, delete) of everything but the Lease: what reconciles do.</summary>
    private static List<TimedRequest> WritesOf(KubernetesApiServer server, string user) =>
        server.Requests.Timeline()
            .Where(t => t.Request.User == user && t.Request.Resource != "leases" && t.Request.Verb is "create" or "update" or "patch" or "delete" or "deletecollection")
            .ToList();

    private static async Task<List<string>> KeepCreatingNamespacesAsync(OperatorEnvironment env, string prefix, CancellationToken ct)
    {
        var created = new List<string>();
        try
        {
            for (var i = 1; ; i++)
            {
                var name = $"{prefix}-{i}";
                await env.CreateNamespaceAsync(name);
                created.Add(name);
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
        catch (OperationCanceledException)
        {
            return created;
        }
    }
}
