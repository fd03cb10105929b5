using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The roles the operator gives the robots it created on someone's repository (one that stood in the organization
/// before its ImageStream came) are the operator's doing, given for that ImageStream: when the ImageStream goes, they
/// go too (or the role the robot held there before comes back), while the repository stays. Before, they stayed for as
/// long as the service account was in the matrix: the namespace's Secret could still push to a repository that was
/// not the operator's and no longer had anything to do with the namespace, and nothing said so.
/// </summary>
public sealed class OwnRobotRolesTests
{
    private const string Org = "openshift_team";
    private const string Builder = Org + "+builder";
    private const string Deployer = Org + "+deployer";

    /// <summary>
    /// Their <c>legacy</c> stood before the operator's default permissions, so its ImageStream has the operator give the
    /// robots their roles; the matrix then makes the builder admin (a role given over one the operator gave). When the
    /// ImageStream goes, both robots hold nothing there again.
    /// </summary>
    [Fact]
    public async Task The_roles_the_operators_robots_got_on_someones_repository_go_with_its_ImageStream()
    {
        await using var env = await StartInTheirOrganizationAsync(admin => admin.CreateRepositoryAsync(Org, "legacy"));
        await env.CreateImageStreamAsync("team", "legacy");
        await Eventually(async () => RoleOf(env, "legacy", Builder) == "write" && RoleOf(env, "legacy", Deployer) == "read"
                                     && GivenPermissions(await env.GetRecordAsync("team")).Count == 2, "the robots given their roles on legacy, on record");
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "admin" }, new JsonObject { ["name"] = "deployer", ["role"] = "read" }),
        });
        await Eventually(() => Task.FromResult(RoleOf(env, "legacy", Builder) == "admin"), "the builder made admin on legacy");

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "legacy");
        await Eventually(async () => RoleOf(env, "legacy", Builder) is null && RoleOf(env, "legacy", Deployer) is null
                                     && GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "the roles taken back, off the record");
        Assert.NotNull(env.Quay.State.Repository(Org, "legacy")); // someone's: never deleted
        await env.EventAsync("default", e => e.Reason == "RepositoryPermissionDeleted" && e.Message.Contains(Builder), "the builder's role taken back, told");
    }

    /// <summary>
    /// Review of ca1471d (helper-124): their <c>legacy</c> is found where the operator was about to make the
    /// ImageStream's repository, and Quay refuses the deployer's role there (400). The builder's role was given at once
    /// and noted only after, with the outcome of the whole repository, so the refusal beside it lost the note; the next
    /// sync saw the builder holding write and never noted it, and the write outlived the ImageStream. Now nothing is
    /// given on someone's repository found in the create's place until Quay is read again and the roles are written ahead.
    /// </summary>
    [Fact]
    public async Task A_role_given_on_someones_repository_beside_one_Quay_refuses_is_noted_all_the_same()
    {
        await using var env = await StartInTheirOrganizationAsync(admin => admin.CreateRepositoryAsync(Org, "legacy"));
        var refused = env.Quay.Faults.Add(new FaultRule
        {
            Route = "/api/v1/repository/{repository}/permissions/user/{username}", Method = "PUT", PathContains = "deployer", ErrorRate = 1, ErrorStatuses = [400],
        });
        await env.CreateImageStreamAsync("team", "legacy");
        await Eventually(async () => RoleOf(env, "legacy", Builder) == "write"
                                     && (await env.GetRecordAsync("team"))?["status"]?["lastError"]?.GetValue<string>()?.Contains(Deployer) == true,
            "the builder given write on legacy, the deployer's role refused");
        env.Quay.Faults.Remove(refused);
        await Eventually(async () => RoleOf(env, "legacy", Deployer) == "read" && GivenPermissions(await env.GetRecordAsync("team")).Count == 2,
            "the deployer given read once Quay takes it, both on record");

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "legacy");
        await Eventually(async () => RoleOf(env, "legacy", Builder) is null && RoleOf(env, "legacy", Deployer) is null
                                     && GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "both roles taken back");
    }

    /// <summary>
    /// Someone makes the repository after the operator last read Quay (the operator's default permissions give the
    /// robots write and read on it), makes the operator's builder read only there, and the ImageStream of that name
    /// comes: the operator's create is answered "already exists", and what the robots hold there is read before any
    /// role is given, so the read is given back when the ImageStream goes rather than deleted with the write (from the
    /// older observation, the builder held nothing there before). The deployer's read came with the repository, as on
    /// any repository made in the organization, and stays.
    /// </summary>
    [Fact]
    public async Task A_role_someone_gave_the_operators_robot_on_their_new_repository_is_given_back_as_it_was()
    {
        await using var env = await StartInTheirOrganizationAsync();
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "1h" });
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await admin.CreateRepositoryAsync(Org, "shared");
            await admin.SetRepositoryPermissionAsync(Org, "shared", Builder, "read");
        }
        await env.CreateImageStreamAsync("team", "shared");
        await Eventually(async () => RoleOf(env, "shared", Builder) == "write" && GivenPermissions(await env.GetRecordAsync("team")).Count == 1,
            "the builder given write on shared, on record");

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "shared");
        await Eventually(async () => RoleOf(env, "shared", Builder) == "read" && GivenPermissions(await env.GetRecordAsync("team")).Count == 0,
            "read given back to the builder, off the record");
        Assert.Equal("read", RoleOf(env, "shared", Deployer));
    }

    /// <summary>
    /// Review of b5b3ec9 (helper-122): the operator made <c>tools</c> and kept it when its ImageStream went
    /// (repositoryDeletionPolicy Keep); someone deleted it and, after the operator last read Quay, made their own
    /// <c>tools</c>, the operator's default permissions giving the robots their roles and the builder made read only.
    /// The ImageStream comes back: the create is answered "already exists", the repository on record as the operator's
    /// is read and found someone's, and what the robots hold there is read before the builder's write is given. When the
    /// ImageStream goes again, the builder gets its read back and the deployer keeps the read it had; from the older
    /// observation both were noted as holding nothing before, and both lost their roles. Made while the operator was
    /// down, their <c>tools</c> is in the observation, with the robots' roles: the builder's write was given over the
    /// record's word that the repository was the operator's, unnoted, and stayed for good.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_repository_on_record_as_the_operators_found_someones_in_its_place_is_read_for_the_roles_on_it(bool madeWhileDown)
    {
        await using var env = await StartInTheirOrganizationAsync();
        await env.CreateImageStreamAsync("team", "tools");
        await Eventually(() => Task.FromResult(RoleOf(env, "tools", Builder) == "write"), "tools made by the operator");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "tools");
        await env.StopOperatorAsync(env.Operators.Single());
        using (var admin = new QuayAdministrator(env.Quay)) await admin.DeleteRepositoryAsync(Org, "tools");
        // Started again, it reads Quay (tools gone) and no drift check comes before the end of the test.
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "1h" });
        if (madeWhileDown) await MakeTheirToolsAsync(env);
        var verified = (await env.GetRecordAsync("team"))?["status"]?["lastVerified"]?.GetValue<string>();
        await Task.Delay(1100); // the time of the last read is to the second
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => (await env.GetRecordAsync("team"))?["status"]?["lastVerified"]?.GetValue<string>() is { } now && now != verified,
            "Quay read again");
        if (!madeWhileDown) await MakeTheirToolsAsync(env);

        await env.CreateImageStreamAsync("team", "tools");
        await Eventually(async () => RoleOf(env, "tools", Builder) == "write" && GivenPermissions(await env.GetRecordAsync("team")).Count == 1,
            "the builder given write on their tools, on record");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "tools");
        await Eventually(async () => RoleOf(env, "tools", Builder) == "read" && GivenPermissions(await env.GetRecordAsync("team")).Count == 0,
            "read given back to the builder");
        Assert.Equal("read", RoleOf(env, "tools", Deployer));
    }

    /// <summary>Their <c>tools</c>: the operator's default permissions give the robots write and read, the builder made read only.</summary>
    private static async Task MakeTheirToolsAsync(OperatorEnvironment env)
    {
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateRepositoryAsync(Org, "tools");
        await admin.SetRepositoryPermissionAsync(Org, "tools", Builder, "read");
    }

    /// <summary>
    /// Between two drift checks someone deletes the operator's builder robot, makes their own under its name and gives
    /// it write on their repository, then the ImageStream goes: Quay took the operator's role with the old robot, and
    /// the write is theirs, so it stays (the robot is read before anything is given back).
    /// </summary>
    [Fact]
    public async Task The_operators_robot_made_again_by_someone_between_drift_checks_keeps_the_role_they_gave_it()
    {
        await using var env = await StartInTheirOrganizationAsync(admin => admin.CreateRepositoryAsync(Org, "legacy"));
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "1h" });
        await env.CreateImageStreamAsync("team", "legacy");
        await Eventually(async () => RoleOf(env, "legacy", Builder) == "write" && GivenPermissions(await env.GetRecordAsync("team")).Count == 2,
            "the robots given their roles on legacy, on record");
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await Task.Delay(1100); // Quay's creation times are to the second
            await admin.DeleteRobotAsync(Org, "builder");
            await admin.CreateRobotAsync(Org, "builder");
            await admin.SetRepositoryPermissionAsync(Org, "legacy", Builder, "write");
        }

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "legacy");
        await Eventually(async () => RoleOf(env, "legacy", Deployer) is null && GivenPermissions(await env.GetRecordAsync("team")).Count == 0,
            "the deployer's role taken back, nothing left on record");
        Assert.Equal("write", RoleOf(env, "legacy", Builder));
        Assert.NotNull(env.Quay.State.Organization(Org)!.Robots.SingleOrDefault(r => r.Name == Builder)); // theirs now: not deleted
    }

    /// <summary>
    /// The integration serves namespace <c>team</c> with builder (write) and deployer (read); someone made its
    /// organization and made the operator's user an owner, <paramref name="more"/> being what else they did first. The
    /// operator makes the robots; returns once they are in place.
    /// </summary>
    private static async Task<OperatorEnvironment> StartInTheirOrganizationAsync(Func<QuayAdministrator, Task>? more = null)
    {
        var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("team");
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "deployer", ["role"] = "read" });
        });
        try
        {
            using (var admin = new QuayAdministrator(env.Quay))
            {
                await admin.CreateOrganizationAsync(Org);
                admin.AddOwner(Org, "operator");
                if (more is not null) await more(admin);
            }
            await env.StartOperatorAsync();
            await env.CreateNamespaceAsync("team");
            await Eventually(() => Task.FromResult(env.Quay.State.Organization(Org)?.Prototypes.Count(p => p.DelegateName is Builder or Deployer) == 2),
                "the operator's robots and their default permissions in place");
            return env;
        }
        catch
        {
            await env.DisposeAsync();
            throw;
        }
    }

    private static string? RoleOf(OperatorEnvironment env, string repository, string robot) => RepositoryRoles.RoleOf(env, Org, repository, robot);

    private static List<JsonNode?> GivenPermissions(JsonObject? record) => RepositoryRoles.Noted(record);
}
