using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// A read Quay refuses for one repository, or for one robot's permissions, is that item's problem: the namespace is
/// reported failing and retried, while every other repository and the steps after (the Secrets) are still brought in
/// step. Before, the refusal stopped the whole sync: the other gone ImageStreams' repositories stayed, and a Secret
/// deleted meanwhile was not made again until Quay stopped refusing.
/// </summary>
public sealed class RepositoryIsolationTests
{
    [Fact]
    public async Task A_repository_Quay_refuses_to_read_keeps_neither_the_others_nor_the_Secrets_waiting()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("team");
            spec["repositoryDeletionPolicy"] = "Delete";
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("team");
        foreach (var stream in new[] { "alpha", "beta" }) await env.CreateImageStreamAsync("team", stream);
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_team", "alpha") is not null
                                               && env.Quay.State.Repository("openshift_team", "beta") is not null), "both repositories made");
        await Eventually(() => env.IsSeededAsync("team", "openshift_team"), "the namespace set up");
        var refused = env.Quay.Faults.Add(new FaultRule
        {
            Route = "/api/v1/repository/{repository}", Method = "GET", PathContains = "openshift_team/alpha", ErrorRate = 1, ErrorStatuses = [400],
        });

        foreach (var stream in new[] { "alpha", "beta" })
            await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", stream);
        await Eventually(async () => env.Quay.State.Repository("openshift_team", "beta") is null
                                     && (await env.GetRecordAsync("team"))?["status"]?["lastError"]?.GetValue<string>()?.Contains("openshift_team/alpha") == true,
            "beta deleted, alpha's read reported");
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("builder-quay-openshift", "team");
        await Eventually(async () => await env.GetSecretAsync("team", "builder-quay-openshift") is not null, "the Secret made again while alpha's read is refused");
        Assert.NotNull(env.Quay.State.Repository("openshift_team", "alpha"));

        env.Quay.Faults.Remove(refused);
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_team", "alpha") is null), "alpha deleted once Quay answers");
    }

    /// <summary>
    /// The matrix makes the builder admin, so a role is to be given on every repository, and each is judged by its mark
    /// from the organization's list first; Quay refuses the list. A new ImageStream's repository is made all the same,
    /// and the refusal is told; the builder is made admin once Quay lists again.
    /// </summary>
    [Fact]
    public async Task A_repository_list_Quay_refuses_keeps_no_new_repository_waiting()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("team"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("team");
        await env.CreateImageStreamAsync("team", "alpha");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_team", "alpha") is not null), "alpha made");
        await Eventually(() => env.IsSeededAsync("team", "openshift_team"), "the namespace set up");
        var refused = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/repository", Method = "GET", ErrorRate = 1, ErrorStatuses = [400] });

        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "admin" }, new JsonObject { ["name"] = "deployer", ["role"] = "read" },
                new JsonObject { ["name"] = "default", ["role"] = "read" }),
        });
        await env.CreateImageStreamAsync("team", "beta");
        await Eventually(async () => env.Quay.State.Repository("openshift_team", "beta") is not null
                                     && (await env.GetRecordAsync("team"))?["status"]?["lastError"]?.GetValue<string>()?.Contains("the repositories of organization openshift_team") == true,
            "beta made, the refused list reported");

        env.Quay.Faults.Remove(refused);
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_team", "alpha") is { } alpha && alpha.UserPermissions.TryGetValue("openshift_team+builder", out var role) && role.ToString().Equals("admin", StringComparison.OrdinalIgnoreCase)),
            "the builder made admin on alpha once Quay lists again");
    }

    /// <summary>
    /// The found robot's permissions are read before a role is noted for it; Quay refuses that list. The ImageStream's
    /// repository is made all the same in that sync (the robot gets no role from the operator in it), and the refusal
    /// is told. (The syncs after it read Quay afresh, and that read lists every robot's permissions: while Quay keeps
    /// refusing, they fail as a whole.)
    /// </summary>
    [Fact]
    public async Task A_robot_whose_permissions_Quay_refuses_to_list_keeps_no_repository_waiting()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("team");
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "deployer", ["role"] = "read" });
        });
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await admin.CreateOrganizationAsync("openshift_team");
            admin.AddOwner("openshift_team", "operator");
            await admin.CreateRobotAsync("openshift_team", "builder");
        }
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("team");
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_team")?.Prototypes.Count == 2), "both robots' default permissions made");
        env.Quay.Faults.Add(new FaultRule
        {
            Route = "/api/v1/organization/{orgname}/robots/{robot_shortname}/permissions", Method = "GET", PathContains = "builder", ErrorRate = 1, ErrorStatuses = [400],
        });

        await env.CreateImageStreamAsync("team", "web");
        await Eventually(async () => env.Quay.State.Repository("openshift_team", "web") is not null
                                     && (await env.GetRecordAsync("team"))?["status"]?["lastError"]?.GetValue<string>()?.Contains("openshift_team+builder") == true,
            "web made, the builder's refused list reported");
    }
}
