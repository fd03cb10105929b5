using QuayIntegration.Deploy.Tests.Support;
using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Deploy.Tests;

/// <summary>The rule matching the coverage test relies on, checked against kube-apiserver's RBAC semantics.</summary>
public sealed class RbacPolicyTests
{
    private static RecordedRequest Call(string verb, string group, string resource, string? ns = null, string? name = null, string? sub = null) =>
        new("u", verb, group, resource, sub, ns, name);

    [Fact]
    public void Rules_match_group_resource_subresource_and_verb_exactly()
    {
        var rule = new RbacRule("ClusterRole r", 0, null, ["quay.redhat.com"], ["quayintegrations/status"], ["patch"], []);
        Assert.True(rule.Allows(Call("patch", "quay.redhat.com", "quayintegrations", name: "q", sub: "status")));
        Assert.False(rule.Allows(Call("patch", "quay.redhat.com", "quayintegrations", name: "q")));
        Assert.False(rule.Allows(Call("update", "quay.redhat.com", "quayintegrations", name: "q", sub: "status")));
        Assert.False(rule.Allows(Call("patch", "", "quayintegrations", name: "q", sub: "status")));
    }

    [Fact]
    public void ResourceNames_allow_only_named_requests_and_never_list_watch_create_or_deletecollection()
    {
        var rule = new RbacRule("ClusterRole r", 0, null, [""], ["secrets"], ["get", "list", "watch", "create", "update", "deletecollection"], ["cert"]);
        Assert.True(rule.Allows(Call("get", "", "secrets", "ns", "cert")));
        Assert.True(rule.Allows(Call("update", "", "secrets", "ns", "cert")));
        Assert.False(rule.Allows(Call("get", "", "secrets", "ns", "other")));
        Assert.False(rule.Allows(Call("list", "", "secrets", "ns")));
        Assert.False(rule.Allows(Call("watch", "", "secrets", "ns")));
        Assert.False(rule.Allows(Call("create", "", "secrets", "ns")));
        Assert.False(rule.Allows(Call("deletecollection", "", "secrets", "ns")));
    }

    [Fact]
    public void RoleBinding_rules_apply_in_their_namespace_only_and_bindings_must_name_the_service_account()
    {
        var manifests = new[]
        {
            Parse("""{"kind":"Role","metadata":{"name":"r","namespace":"op"},"rules":[{"apiGroups":["coordination.k8s.io"],"resources":["leases"],"verbs":["get"]}]}"""),
            Parse("""{"kind":"RoleBinding","metadata":{"name":"b","namespace":"op"},"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"ServiceAccount","name":"sa","namespace":"op"}]}"""),
        };
        var rule = Assert.Single(RbacPolicy.RulesFor(manifests, "op", "sa"));
        Assert.True(rule.Allows(Call("get", "coordination.k8s.io", "leases", "op", "l")));
        Assert.False(rule.Allows(Call("get", "coordination.k8s.io", "leases", "other", "l")));
        Assert.False(rule.Allows(Call("get", "coordination.k8s.io", "leases", null, "l")));
        Assert.ThrowsAny<Exception>(() => RbacPolicy.RulesFor(manifests, "op", "someone-else"));
    }

    private static Manifest Parse(string json) => new("test", 0, System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject());
}
