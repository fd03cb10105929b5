using k8s.Models;
using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Tests.Unit;

public class NamespaceRulesTests
{
    private static readonly string[] None = [];

    [Theory]
    [InlineData("default", false)]
    [InlineData("openshift", false)]
    [InlineData("management-infra", false)]
    [InlineData("openshift-monitoring", false)]
    [InlineData("kube-system", false)]
    [InlineData("kube", true)]
    [InlineData("openshiftx", true)]
    [InlineData("my-app", true)]
    public void Reserved_namespaces_are_never_synced_without_allowlist(string ns, bool expected) =>
        Assert.Equal(expected, NamespaceRules.IsInScope(ns, None, None));

    [Fact]
    public void Allowlist_means_only_those_even_reserved_ones()
    {
        string[] allow = ["team-a", "kube-tools"];
        Assert.True(NamespaceRules.IsInScope("team-a", allow, None));
        Assert.True(NamespaceRules.IsInScope("kube-tools", allow, None));
        Assert.False(NamespaceRules.IsInScope("team-b", allow, None));
    }

    [Fact]
    public void Operator_namespace_is_synced_only_when_allow_listed()
    {
        var scope = new NamespaceScope("quay-integration");
        var everything = IntegrationConfig.Parse(new Api.QuayIntegrationSpec
        {
            QuayHostname = "https://quay.example.com",
            CredentialsSecret = new Api.SecretKeyReference { Namespace = "quay-integration", Name = "token" },
        }, out _)!;
        Assert.False(scope.Includes("quay-integration", everything));
        Assert.True(scope.Includes("team-a", everything));
        Assert.True(scope.Includes("quay-integration", everything with { Allowlist = ["quay-integration"] }));
    }

    [Fact]
    public void Denylist_always_wins()
    {
        Assert.False(NamespaceRules.IsInScope("team-a", ["team-a"], ["team-a"]));
        Assert.False(NamespaceRules.IsInScope("team-b", None, ["team-b"]));
    }

    [Fact]
    public void Project_waits_for_scc_mcs_annotation_plain_namespace_does_not()
    {
        var plain = new V1Namespace { Metadata = new V1ObjectMeta { Name = "n" } };
        Assert.True(NamespaceRules.IsReady(plain));
        var project = new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = "p",
                Annotations = new Dictionary<string, string> { ["openshift.io/display-name"] = "", ["openshift.io/description"] = "" },
            },
        };
        Assert.False(NamespaceRules.IsReady(project));
        project.Metadata.Annotations["openshift.io/sa.scc.mcs"] = "s0:c26,c5";
        Assert.True(NamespaceRules.IsReady(project));
    }
}
