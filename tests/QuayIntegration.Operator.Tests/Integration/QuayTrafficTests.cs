using k8s;
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

        // A deleted Secret is repaired from the cluster side alone.
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("deployer-quay-openshift", "quiet");
        await Eventually(() => env.IsSeededAsync("quiet", "openshift_quiet"), "Secret restored");
        Assert.Equal(before, NonUserCalls());
    }
}
