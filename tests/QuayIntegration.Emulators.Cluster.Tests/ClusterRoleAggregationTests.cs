using k8s;
using k8s.Models;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>
/// ClusterRole aggregation (pkg/controller/clusterroleaggregation): the aggregated role's rules follow the labelled
/// roles, and the API server's RBAC then grants them.
/// </summary>
public sealed class ClusterRoleAggregationTests
{
    [Fact]
    public async Task An_aggregated_role_collects_the_rules_of_the_roles_its_selectors_match_and_they_take_effect()
    {
        await using var cluster = await StartClusterAsync();
        var rbac = cluster.Client.RbacAuthorizationV1;
        await rbac.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "monitoring" },
            AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["rbac.example.com/aggregate-to-monitoring"] = "true" } }] },
        });
        cluster.ApiServer.AddUser("watcher-token", "watcher");
        await rbac.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "watcher" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "monitoring" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "watcher" }],
        });
        var path = Path.Combine(Path.GetTempPath(), $"watcher-{Guid.NewGuid():N}.kubeconfig");
        cluster.ApiServer.WriteKubeconfigForToken(path, "watcher-token");
        try
        {
            using var watcher = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
            await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => watcher.CoreV1.ListNamespaceAsync());

            foreach (var (name, resource, label) in new[] { ("b-namespaces", "namespaces", "true"), ("a-configmaps", "configmaps", "true"), ("c-secrets", "secrets", "false") })
                await rbac.CreateClusterRoleAsync(new V1ClusterRole
                {
                    Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["rbac.example.com/aggregate-to-monitoring"] = label } },
                    Rules = [new V1PolicyRule { ApiGroups = [""], Resources = [resource], Verbs = ["list"] }],
                });

            var aggregated = await WaitForAsync(async ct =>
            {
                var role = await rbac.ReadClusterRoleAsync("monitoring", cancellationToken: ct);
                return role.Rules is { Count: 2 } ? role : null;
            }, "the aggregated rules");
            Assert.Equal(["configmaps", "namespaces"], aggregated.Rules.Select(r => r.Resources.Single())); // by source role name
            await watcher.CoreV1.ListNamespaceAsync();
            await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => watcher.CoreV1.ListSecretForAllNamespacesAsync());

            // A source role losing its label takes its rules away again.
            var source = await rbac.ReadClusterRoleAsync("b-namespaces");
            source.Metadata.Labels.Clear();
            await rbac.ReplaceClusterRoleAsync(source, "b-namespaces");
            await WaitForAsync(async ct => (await rbac.ReadClusterRoleAsync("monitoring", cancellationToken: ct)).Rules is { Count: 1 } ? (object)true : null, "the rule to go");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
