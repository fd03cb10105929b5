using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Controllers.Namespaces;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>Which clusterIDs the Go operator's Secrets in a namespace show (what its organization was named after).</summary>
public sealed class GoOperatorClusterIdsTests
{
    private static V1Secret Secret(string name, string user, bool labelled = false, string type = "kubernetes.io/dockerconfigjson") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = labelled ? new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "quay-integration-operator" } : null,
        },
        Type = type,
        Data = new Dictionary<string, byte[]>
        {
            [".dockerconfigjson"] = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["auths"] = new JsonObject { ["quay.example.com"] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":TOKEN")) } },
            }.ToJsonString()),
        },
    };

    [Fact]
    public void A_secret_named_after_a_cluster_id_that_holds_its_robots_login_shows_it()
    {
        Assert.Equal(["apps.ocp4"], LegacyOwnership.GoOperatorClusterIds(
            [Secret("builder-quay-apps.ocp4", "apps.ocp4_team+builder"), Secret("deployer-quay-apps.ocp4", "apps.ocp4_team+deployer")], "team"));
    }

    [Theory]
    [InlineData("builder-quay-east", "west_team+builder")]      // the login of another organization's robot
    [InlineData("builder-quay-east", "east_team+deployer")]     // another service account's robot
    [InlineData("builder-quay-east", "east_other+builder")]     // another namespace's organization
    [InlineData("pipeline-quay-east", "east_team+pipeline")]    // not a service account of the Go operator's matrix
    [InlineData("builder-quay-", "_team+builder")]              // no cluster ID
    public void A_secret_whose_name_and_login_do_not_agree_shows_nothing(string name, string user)
    {
        Assert.Empty(LegacyOwnership.GoOperatorClusterIds([Secret(name, user)], "team"));
    }

    [Fact]
    public void This_operators_labelled_secret_and_a_secret_of_another_type_show_nothing()
    {
        Assert.Empty(LegacyOwnership.GoOperatorClusterIds(
            [Secret("builder-quay-east", "east_team+builder", labelled: true), Secret("default-quay-east", "east_team+default", type: "Opaque")], "team"));
    }

    [Fact]
    public void Secrets_of_several_cluster_ids_show_them_all()
    {
        Assert.Equal(["east", "west"], LegacyOwnership.GoOperatorClusterIds(
            [Secret("builder-quay-west", "west_team+builder"), Secret("builder-quay-east", "east_team+builder"), Secret("default-quay-east", "east_team+default")], "team"));
    }
}
