using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The repository roles the operator gives a robot it did not create (someone made <c>openshift_team+builder</c> before
/// the namespace was set up) are the operator's doing, and are given back when the operator lets go of the robot:
/// the role held before is restored, one the robot did not hold is deleted, one someone changed since is left alone.
/// Before, they stayed for good: only the robots the operator created took their permissions with them.
/// </summary>
public sealed class GivenPermissionsTests
{
    private const string Org = "openshift_team";
    private const string Builder = Org + "+builder";

    [Fact]
    public async Task A_found_robot_gets_back_what_it_held_when_its_service_account_leaves_the_matrix()
    {
        await using var env = await SetUpAsync();
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "default", ["role"] = "read" }, new JsonObject { ["name"] = "deployer", ["role"] = "read" }),
        });
        await AssertGivenBackAsync(env);
        var org = env.Quay.State.Organization(Org)!;
        Assert.Contains(org.Robots, r => r.Name == Builder); // someone's robot: never deleted
        Assert.DoesNotContain(org.Prototypes, p => p.DelegateName == Builder);
    }

    [Fact]
    public async Task A_found_robot_gets_back_what_it_held_when_the_namespace_is_deleted()
    {
        await using var env = await SetUpAsync();
        await env.Kube.CoreV1.DeleteNamespaceAsync("team");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("team", TimeSpan.FromSeconds(30));
        await AssertGivenBackAsync(env);
        Assert.NotNull(env.Quay.State.Repository(Org, "web")); // repositoryDeletionPolicy Keep: the repository stays, the role given on it does not
    }

    /// <summary>
    /// The operator is killed just after Quay gave the found robot write on <c>app</c>, before the answer arrived: the
    /// role was on record before it was asked for, so once the service account has left the matrix meanwhile, the next
    /// leader gives the robot its read back. (Noted after the answer, the role was nowhere on record and stayed.)
    /// </summary>
    [Fact]
    public async Task A_role_given_just_before_a_crash_is_given_back_all_the_same()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("team");
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" });
        });
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await admin.CreateOrganizationAsync(Org);
            admin.AddOwner(Org, "operator");
            await admin.CreateRobotAsync(Org, "builder");
            await admin.CreateRepositoryAsync(Org, "app");
            await admin.SetRepositoryPermissionAsync(Org, "app", Builder, "read");
        }
        var held = new FaultRule { Route = "/api/v1/repository/{repository}/permissions/user/{username}", Method = "PUT", BodyStallRate = 1, HangMs = 600_000, Times = 1 };
        env.Quay.Faults.Add(held);
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("team");
        await env.CreateImageStreamAsync("team", "app");
        await Eventually(() => Task.FromResult(held.TimesMatched > 0 && RoleOf(env, "app") == "write"), "write given on app, its answer held");
        await env.KillOperatorAsync(op);

        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "deployer", ["role"] = "read" }) });
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => RoleOf(env, "app") == "read" && GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "read on app given back");
    }

    /// <summary>
    /// In an organization someone made (the operator an owner), with their robot for the builder service account:
    /// <c>app</c> is theirs, the robot reading it; <c>tools</c> is theirs, the robot holding nothing on it; <c>web</c> the
    /// operator makes. The operator gives the robot write on all three; someone then makes it admin on <c>tools</c>.
    /// </summary>
    private static async Task<OperatorEnvironment> SetUpAsync()
    {
        var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("team"));
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await admin.CreateOrganizationAsync(Org);
            admin.AddOwner(Org, "operator");
            await admin.CreateRobotAsync(Org, "builder");
            await admin.CreateRepositoryAsync(Org, "app");
            await admin.CreateRepositoryAsync(Org, "tools");
            await admin.SetRepositoryPermissionAsync(Org, "app", Builder, "read");
            await env.StartOperatorAsync();
            await env.CreateNamespaceAsync("team");
            foreach (var stream in new[] { "app", "tools", "web" }) await env.CreateImageStreamAsync("team", stream);
            await Eventually(() => Task.FromResult(new[] { "app", "tools", "web" }.All(r => RoleOf(env, r) == "write")), "the found robot given write on the three");
            Assert.Equal(3, GivenPermissions(await env.GetRecordAsync("team")).Count);
            await admin.SetRepositoryPermissionAsync(Org, "tools", Builder, "admin");
        }
        return env;
    }

    private static async Task AssertGivenBackAsync(OperatorEnvironment env)
    {
        await Eventually(() => Task.FromResult(RoleOf(env, "app") == "read" && RoleOf(env, "web") is null),
            "read on app given back, write on web taken back", TimeSpan.FromSeconds(30));
        Assert.Equal("admin", RoleOf(env, "tools"));
        await Eventually(async () => GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "no given role left on record");
    }

    private static string? RoleOf(OperatorEnvironment env, string repository) =>
        env.Quay.State.Repository(Org, repository)?.UserPermissions.TryGetValue(Builder, out var role) == true ? role.ToString().ToLowerInvariant() : null;

    private static List<JsonNode?> GivenPermissions(JsonObject? record) =>
        record?["spec"]?["organizations"]?.AsArray().SelectMany(o => o?["repositoryPermissions"]?.AsArray() ?? []).ToList() ?? [];
}
