using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Tests.Unit;

public class ServiceAccountLinkPatchTests
{
    private static V1ServiceAccount Account(IEnumerable<string>? secrets, IEnumerable<string>? pull) => new()
    {
        Metadata = new V1ObjectMeta { Name = "builder", NamespaceProperty = "demo", ResourceVersion = "42" },
        Secrets = secrets?.Select(s => new V1ObjectReference { Name = s }).ToList(),
        ImagePullSecrets = pull?.Select(s => new V1LocalObjectReference { Name = s }).ToList(),
    };

    [Fact]
    public void Absent_lists_are_added_whole_after_a_resource_version_test()
    {
        var ops = JsonNode.Parse(ServiceAccountLinkPatch.Build(Account(null, null), "builder-quay-openshift")!)!.AsArray();
        Assert.Equal("test", ops[0]!["op"]!.GetValue<string>());
        Assert.Equal("/metadata/resourceVersion", ops[0]!["path"]!.GetValue<string>());
        Assert.Equal("42", ops[0]!["value"]!.GetValue<string>());
        Assert.Equal("/secrets", ops[1]!["path"]!.GetValue<string>());
        Assert.Equal("builder-quay-openshift", ops[1]!["value"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("/imagePullSecrets", ops[2]!["path"]!.GetValue<string>());
    }

    [Fact]
    public void Existing_entries_are_left_alone_and_ours_appended()
    {
        var ops = JsonNode.Parse(ServiceAccountLinkPatch.Build(Account(["builder-dockercfg-abcde"], ["builder-dockercfg-abcde"]), "builder-quay-openshift")!)!.AsArray();
        Assert.Equal(3, ops.Count);
        Assert.All(ops.Skip(1), op =>
        {
            Assert.Equal("add", op!["op"]!.GetValue<string>());
            Assert.EndsWith("/-", op["path"]!.GetValue<string>());
        });
    }

    [Fact]
    public void Only_the_missing_list_is_patched()
    {
        var ops = JsonNode.Parse(ServiceAccountLinkPatch.Build(Account(["builder-quay-openshift"], []), "builder-quay-openshift")!)!.AsArray();
        Assert.Equal(2, ops.Count);
        Assert.Equal("/imagePullSecrets/-", ops[1]!["path"]!.GetValue<string>());
    }

    [Fact]
    public void Already_linked_needs_no_patch()
    {
        var sa = Account(["x", "builder-quay-openshift"], ["builder-quay-openshift"]);
        Assert.Null(ServiceAccountLinkPatch.Build(sa, "builder-quay-openshift"));
        Assert.True(ServiceAccountLinkPatch.IsLinked(sa, "builder-quay-openshift"));
    }
}
