using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Caching;
using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Tests.Unit;

public class ServiceAccountLinkPatchTests
{
    private static CachedServiceAccount Account(IEnumerable<string>? secrets, IEnumerable<string>? pull) => new(new V1ServiceAccount
    {
        Metadata = new V1ObjectMeta { Name = "builder", NamespaceProperty = "demo", ResourceVersion = "42" },
        Secrets = secrets?.Select(s => new V1ObjectReference { Name = s }).ToList(),
        ImagePullSecrets = pull?.Select(s => new V1LocalObjectReference { Name = s }).ToList(),
    });

    private static JsonObject Build(CachedServiceAccount sa) => JsonNode.Parse(ServiceAccountLinkPatch.Link(sa, "builder-quay-openshift")!)!.AsObject();

    private static string[] Names(JsonNode? list) => list!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ToArray();

    [Fact]
    public void Patch_is_guarded_by_the_resource_version_it_was_computed_from()
    {
        var patch = Build(Account(null, null));
        Assert.Equal("42", patch["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(["builder-quay-openshift"], Names(patch["secrets"]));
        Assert.Equal(["builder-quay-openshift"], Names(patch["imagePullSecrets"]));
    }

    [Fact]
    public void Existing_entries_are_kept_in_order_and_ours_appended()
    {
        var patch = Build(Account(["builder-token-x", "builder-dockercfg-abcde"], ["builder-dockercfg-abcde"]));
        Assert.Equal(["builder-token-x", "builder-dockercfg-abcde", "builder-quay-openshift"], Names(patch["secrets"]));
        Assert.Equal(["builder-dockercfg-abcde", "builder-quay-openshift"], Names(patch["imagePullSecrets"]));
    }

    [Fact]
    public void Only_the_list_missing_our_entry_is_written()
    {
        var patch = Build(Account(["builder-quay-openshift"], []));
        Assert.False(patch.ContainsKey("secrets"));
        Assert.Equal(["builder-quay-openshift"], Names(patch["imagePullSecrets"]));
    }

    [Fact]
    public void Already_linked_needs_no_patch()
    {
        var sa = Account(["x", "builder-quay-openshift"], ["builder-quay-openshift"]);
        Assert.Null(ServiceAccountLinkPatch.Link(sa, "builder-quay-openshift"));
    }

    [Fact]
    public void Unlink_removes_only_our_entry_from_both_lists_under_the_resource_version()
    {
        var sa = Account(["builder-token-x", "builder-quay-openshift", "other"], ["builder-quay-openshift", "builder-dockercfg-abcde"]);
        var patch = JsonNode.Parse(ServiceAccountLinkPatch.Unlink(sa, "builder-quay-openshift")!)!.AsObject();
        Assert.Equal("42", patch["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(["builder-token-x", "other"], Names(patch["secrets"]));
        Assert.Equal(["builder-dockercfg-abcde"], Names(patch["imagePullSecrets"]));
        Assert.Null(ServiceAccountLinkPatch.Unlink(Account(["x"], ["y"]), "builder-quay-openshift"));
    }
}
