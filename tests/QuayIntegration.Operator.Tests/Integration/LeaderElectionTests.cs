using k8s;
using QuayIntegration.Operator.Runtime;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

[Collection(OperatorCollection.Name)]
public sealed class LeaderElectionTests
{
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
        var lease = await env.Kube.CoordinationV1.ReadNamespacedLeaseAsync("quay-integration-operator", OperatorNamespace);
        Assert.Equal(leader.Service<LeaderElector>().Identity, lease.Spec.HolderIdentity);

        await env.StopOperatorAsync(leader); // releases the Lease on graceful shutdown
        await Eventually(() => Task.FromResult(standby.Service<LeaderElector>().IsLeader), "standby became leader");
        await env.CreateNamespaceAsync("ha-2");
        await Eventually(() => env.IsSeededAsync("ha-2", "openshift_ha-2"), "synced by the new leader");
        lease = await env.Kube.CoordinationV1.ReadNamespacedLeaseAsync("quay-integration-operator", OperatorNamespace);
        Assert.Equal(standby.Service<LeaderElector>().Identity, lease.Spec.HolderIdentity);
        Assert.True(lease.Spec.LeaseTransitions >= 1);
    }
}
