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
/// Before, they stayed for good: only the robots the operator created took their permissions with them. A role the
/// operator did not give (someone's, or what someone's default permission gives) is never taken back.
/// </summary>
public sealed class GivenPermissionsTests
{
    private const string Org = "openshift_team";
    private const string Builder = Org + "+builder";

    [Fact]
    public async Task A_found_robot_gets_back_what_it_held_when_its_service_account_leaves_the_matrix()
    {
        await using var env = await SetUpAsync();
        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix("deployer") });
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

    [Fact]
    public async Task A_found_robot_gets_back_what_it_held_on_someones_repository_when_its_ImageStream_goes()
    {
        await using var env = await SetUpAsync();
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "app");
        await Eventually(() => Task.FromResult(RoleOf(env, "app") == "read"), "read on app given back");
        Assert.Equal("write", RoleOf(env, "web"));
        // The record is saved at the end of the reconcile that gave the role back, after Quay saw it.
        await Eventually(async () => GivenPermissions(await env.GetRecordAsync("team")).Count == 2, "the given-back role off the record");
    }

    /// <summary>
    /// The operator is killed just after Quay gave the found robot write on <c>app</c>, before the answer arrived: the
    /// role was on record before it was asked for, so once the service account has left the matrix meanwhile, the next
    /// leader gives the robot its read back. (Noted after the answer, the role was nowhere on record and stayed.)
    /// </summary>
    [Fact]
    public async Task A_role_given_just_before_a_crash_is_given_back_all_the_same()
    {
        var held = new FaultRule { Route = "/api/v1/repository/{repository}/permissions/user/{username}", Method = "PUT", BodyStallRate = 1, HangMs = 600_000, Times = 1 };
        await using var env = await StartWithTheirRobotAsync(async admin =>
        {
            await admin.CreateRepositoryAsync(Org, "app");
            await admin.SetRepositoryPermissionAsync(Org, "app", Builder, "read");
        }, held);
        await env.CreateImageStreamAsync("team", "app");
        await Eventually(() => Task.FromResult(held.TimesMatched > 0 && RoleOf(env, "app") == "write"), "write given on app, its answer held");
        await env.KillOperatorAsync(env.Operators.Single());

        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix("deployer") });
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => RoleOf(env, "app") == "read" && GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "read on app given back");
    }

    /// <summary>
    /// The matrix makes builder admin and Quay refuses every call that would give it (500); the operator is stopped and
    /// the namespace deleted before one lands. The robot still holds the write the operator gave on <c>app</c> (admin
    /// was pending on record): it is the operator's, and read is given back. (Recorded as admin, the write was taken for
    /// someone's change, left alone and forgotten.)
    /// </summary>
    [Fact]
    public async Task A_role_change_that_never_landed_still_gives_back_the_role_given_before()
    {
        await using var env = await SetUpAsync();
        var id = await MakeBuilderAdminWhileQuayRefusesAsync(env);
        await env.KillOperatorAsync(env.Operators.Single());
        env.Quay.Faults.Remove(id);
        await env.Kube.CoreV1.DeleteNamespaceAsync("team");
        await env.StartOperatorAsync("operator-2");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("team", TimeSpan.FromSeconds(30));
        await AssertGivenBackAsync(env);
    }

    /// <summary>
    /// The same refused change, then the matrix goes back to write before any call landed: nothing is left pending on
    /// record (left, admin would be taken for the operator's when someone later gave the robot admin, and deleted at
    /// give-back). The role given before, and what the robot held before it, stay on record.
    /// </summary>
    [Fact]
    public async Task A_role_change_taken_back_before_it_landed_leaves_nothing_pending()
    {
        await using var env = await SetUpAsync();
        var id = await MakeBuilderAdminWhileQuayRefusesAsync(env);
        // The matrix goes back while Quay still refuses admin: a retry landing between the fault's removal and the patch
        // would be a change that did land (CI on 2691c8b saw exactly that). Write is held already, so no call is needed.
        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix("builder", "deployer") });
        await Eventually(async () => GivenPermissions(await env.GetRecordAsync("team")).All(p => p?["pending"] is null), "nothing left pending");
        env.Quay.Faults.Remove(id);
        var app = GivenPermissions(await env.GetRecordAsync("team")).Single(p => p?["repository"]?.GetValue<string>() == "app")!;
        Assert.Equal(("write", "read"), (app["role"]!.GetValue<string>(), app["previous"]!.GetValue<string>()));
        Assert.Equal("write", RoleOf(env, "app"));
    }

    /// <summary>
    /// The matrix makes builder admin while Quay refuses every call that would give it (500); returns the fault's id
    /// once the namespace reports the refusal.
    /// </summary>
    private static async Task<int> MakeBuilderAdminWhileQuayRefusesAsync(OperatorEnvironment env)
    {
        var id = env.Quay.Faults.Add(new FaultRule
        {
            Route = "/api/v1/repository/{repository}/permissions/user/{username}", Method = "PUT", PathContains = "builder", ErrorRate = 1, ErrorStatuses = [500],
        });
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "admin" }, new JsonObject { ["name"] = "deployer", ["role"] = "read" }),
        });
        await Eventually(async () => (await env.GetRecordAsync("team"))?["status"]?["lastError"]?.GetValue<string>()?.Contains($"give {Builder} admin on {Org}/app") == true,
            "the namespace failing, Quay refusing admin on app");
        return id;
    }

    /// <summary>
    /// Someone makes a repository after the operator last read Quay and gives the found robot write on it, then the
    /// ImageStream of that name comes: the role is theirs (the robot's permissions are read before a role is given), and
    /// stays when the service account leaves the matrix. (From the older reading, the operator took it for its own grant,
    /// made over nothing, and deleted it.)
    /// </summary>
    [Fact]
    public async Task A_role_someone_gave_since_Quay_was_last_read_is_theirs()
    {
        await using var env = await StartWithTheirRobotAsync();
        await Eventually(() => Task.FromResult(env.Quay.State.Organization(Org)?.Prototypes.Any(p => p.DelegateName == Builder) == true), "the found robot set up");
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await admin.CreateRepositoryAsync(Org, "legacy");
            await admin.SetRepositoryPermissionAsync(Org, "legacy", Builder, "write");
        }
        await env.CreateImageStreamAsync("team", "legacy");
        await Eventually(async () => (await env.GetRecordAsync("team"))?["spec"]?.ToJsonString().Contains("\"legacy\"") == true, "legacy looked at");
        await LeaveTheMatrixAsync(env);
        Assert.Equal("write", RoleOf(env, "legacy"));
    }

    /// <summary>
    /// Review of b5b3ec9 (helper-122): after the operator last read Quay, someone makes <c>fresh</c>, the operator's
    /// default permission giving the found robot write there, the role the matrix wants; then the ImageStream of that
    /// name comes. The robot held the role before (the organization's rule, not given for the ImageStream), so nothing
    /// is noted for it and it stays when the ImageStream goes. Guards the two reads that tell it: the robot's
    /// permission list before a role is noted for it, and the roles on a repository found someone's. (The reviewer's
    /// history, a role written ahead for a repository to make and the robot found holding it, needs the role to come
    /// between those reads; the repository's read now drops such a note whatever was written ahead.)
    /// </summary>
    [Fact]
    public async Task A_role_the_robot_held_on_someones_new_repository_before_its_ImageStream_came_stays_when_it_goes()
    {
        await using var env = await StartWithTheirRobotAsync();
        await Eventually(() => Task.FromResult(env.Quay.State.Organization(Org)?.Prototypes.Any(p => p.DelegateName == Builder) == true), "the found robot set up");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "1h" });
        using (var admin = new QuayAdministrator(env.Quay)) await admin.CreateRepositoryAsync(Org, "fresh");
        Assert.Equal("write", RoleOf(env, "fresh"));

        await env.CreateImageStreamAsync("team", "fresh");
        await Eventually(async () => NamesRepository(await env.GetRecordAsync("team"), "fresh"), "fresh recorded");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "fresh");
        // A later ImageStream's repository on record says a sync after the deletion ran to its end.
        await env.CreateImageStreamAsync("team", "later");
        await Eventually(async () => NamesRepository(await env.GetRecordAsync("team"), "later"), "later recorded");
        Assert.Equal("write", RoleOf(env, "fresh"));
        Assert.DoesNotContain(GivenPermissions(await env.GetRecordAsync("team")), p => p?["repository"]?.GetValue<string>() == "fresh");
    }

    /// <summary>
    /// Someone's default permission gives the found robot write, the role the matrix wants: on a repository the
    /// operator makes, Quay gives the robot that role from their default permission, not the operator's doing, and it
    /// stays when the service account leaves the matrix.
    /// </summary>
    [Fact]
    public async Task A_role_someones_default_permission_gives_on_a_repository_the_operator_made_is_theirs()
    {
        await using var env = await StartWithTheirRobotAsync(admin => admin.CreateDefaultPermissionAsync(Org, Builder, "write"));
        await env.CreateImageStreamAsync("team", "web");
        await Eventually(() => Task.FromResult(RoleOf(env, "web") == "write"), "web made, the robot holding write on it");
        await LeaveTheMatrixAsync(env);
        Assert.Equal("write", RoleOf(env, "web"));
        Assert.Contains(env.Quay.State.Organization(Org)!.Prototypes, p => p.DelegateName == Builder); // theirs too
    }

    /// <summary>
    /// Review of b24b624 (helper-69): the owner of the found robot deletes it and makes it again (an infrastructure-as-code
    /// re-apply), giving the new one write on <c>web</c> themselves. The notes of what the operator gave the old robot
    /// held for the new one, so when the service account left the matrix the owner's write was taken back. A found robot
    /// made at another time than recorded is a new robot: what was given to the old one went with it.
    /// </summary>
    [Fact]
    public async Task A_found_robot_made_again_by_its_owner_keeps_the_role_its_owner_gave_it()
    {
        await using var env = await StartWithTheirRobotAsync();
        await RemadeByItsOwnerWhileStoppedAsync(env);
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "the old robot's grant off the record");

        await LeaveTheMatrixAsync(env);
        Assert.Equal("write", RoleOf(env, "web"));
    }

    /// <summary>The same, the namespace deleted meanwhile: the teardown of the found organization reads the robots first.</summary>
    [Fact]
    public async Task A_found_robot_made_again_by_its_owner_keeps_the_role_its_owner_gave_it_when_the_namespace_goes()
    {
        await using var env = await StartWithTheirRobotAsync();
        await RemadeByItsOwnerWhileStoppedAsync(env);
        await env.Kube.CoreV1.DeleteNamespaceAsync("team");
        await env.StartOperatorAsync("operator-2");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("team", TimeSpan.FromSeconds(30));
        Assert.Equal("write", RoleOf(env, "web"));
    }

    /// <summary>
    /// Review of 18ac238 (helper-78): the same while the operator runs, between two drift checks (nothing lists the
    /// robots then), and the ImageStream of their repository deleted: the role the owner gave the new robot was taken
    /// back as the operator's grant. The robot is read before anything is given back.
    /// </summary>
    [Fact]
    public async Task A_found_robot_made_again_between_drift_checks_keeps_the_role_its_owner_gave_it_when_the_imagestream_goes()
    {
        await using var env = await StartWithTheirRobotAsync(admin => admin.CreateRepositoryAsync(Org, "tools"));
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "1h" });
        await env.CreateImageStreamAsync("team", "tools");
        await Eventually(async () => RoleOf(env, "tools") == "write" && GivenPermissions(await env.GetRecordAsync("team")).Count == 1, "write given on their tools, on record");
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await Task.Delay(1100); // Quay's creation times are to the second
            await admin.DeleteRobotAsync(Org, "builder");
            await admin.CreateRobotAsync(Org, "builder");
            await admin.SetRepositoryPermissionAsync(Org, "tools", Builder, "write");
        }

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "team", "imagestreams", "tools");
        await Eventually(async () => GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "the old robot's grant off the record");
        Assert.Equal("write", RoleOf(env, "tools"));
    }

    /// <summary>
    /// The operator gives the found robot write on <c>web</c>; stopped then (so that no drift check sees the new robot
    /// before its owner's grant), its owner deletes the robot, makes it again and gives the new one write on <c>web</c>.
    /// </summary>
    private static async Task RemadeByItsOwnerWhileStoppedAsync(OperatorEnvironment env)
    {
        await env.CreateImageStreamAsync("team", "web");
        await Eventually(async () => RoleOf(env, "web") == "write" && GivenPermissions(await env.GetRecordAsync("team")).Count == 1, "write given on web, on record");
        await env.StopOperatorAsync(env.Operators.Single());
        using var admin = new QuayAdministrator(env.Quay);
        await Task.Delay(1100); // Quay's creation times are to the second
        await admin.DeleteRobotAsync(Org, "builder");
        await admin.CreateRobotAsync(Org, "builder");
        await admin.SetRepositoryPermissionAsync(Org, "web", Builder, "write");
    }

    /// <summary>
    /// The builder service account leaves the matrix; returns once the operator has let go of it (its Secret deleted,
    /// what it gave the robot given back).
    /// </summary>
    private static async Task LeaveTheMatrixAsync(OperatorEnvironment env)
    {
        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix("deployer") });
        await Eventually(async () => await env.GetSecretAsync("team", "builder-quay-openshift") is null
                                     && GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "the builder service account let go");
    }

    /// <summary>
    /// In an organization someone made (the operator an owner), with their robot for the builder service account:
    /// <c>app</c> is theirs, the robot reading it; <c>tools</c> is theirs, the robot holding nothing on it; <c>web</c> the
    /// operator makes. The operator gives the robot write on all three; someone then makes it admin on <c>tools</c>.
    /// </summary>
    private static async Task<OperatorEnvironment> SetUpAsync()
    {
        var env = await StartWithTheirRobotAsync(async admin =>
        {
            await admin.CreateRepositoryAsync(Org, "app");
            await admin.CreateRepositoryAsync(Org, "tools");
            await admin.SetRepositoryPermissionAsync(Org, "app", Builder, "read");
        });
        foreach (var stream in new[] { "app", "tools", "web" }) await env.CreateImageStreamAsync("team", stream);
        await Eventually(() => Task.FromResult(new[] { "app", "tools", "web" }.All(r => RoleOf(env, r) == "write")), "the found robot given write on the three");
        await Eventually(async () => GivenPermissions(await env.GetRecordAsync("team")).Count == 3, "the three roles on record");
        using var admin = new QuayAdministrator(env.Quay);
        await admin.SetRepositoryPermissionAsync(Org, "tools", Builder, "admin");
        return env;
    }

    /// <summary>
    /// The integration serves namespace <c>team</c> with builder (write) and deployer (read); someone made its
    /// organization, with their own robot for builder, and made the operator's user an owner; <paramref name="more"/>
    /// is what else they did before the operator starts (<paramref name="fault"/> injected meanwhile).
    /// </summary>
    private static async Task<OperatorEnvironment> StartWithTheirRobotAsync(Func<QuayAdministrator, Task>? more = null, FaultRule? fault = null)
    {
        var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("team");
            spec["serviceAccounts"] = Matrix("builder", "deployer");
        });
        try
        {
            using (var admin = new QuayAdministrator(env.Quay))
            {
                await admin.CreateOrganizationAsync(Org);
                admin.AddOwner(Org, "operator");
                await admin.CreateRobotAsync(Org, "builder");
                if (more is not null) await more(admin);
            }
            if (fault is not null) env.Quay.Faults.Add(fault);
            await env.StartOperatorAsync();
            await env.CreateNamespaceAsync("team");
            return env;
        }
        catch
        {
            await env.DisposeAsync();
            throw;
        }
    }

    private static async Task AssertGivenBackAsync(OperatorEnvironment env)
    {
        await Eventually(() => Task.FromResult(RoleOf(env, "app") == "read" && RoleOf(env, "web") is null),
            "read on app given back, write on web taken back", TimeSpan.FromSeconds(30));
        Assert.Equal("admin", RoleOf(env, "tools"));
        await Eventually(async () => GivenPermissions(await env.GetRecordAsync("team")).Count == 0, "no given role left on record");
    }

    /// <summary>builder writes, deployer reads.</summary>
    private static JsonArray Matrix(params string[] accounts) =>
        new(accounts.Select(a => (JsonNode)new JsonObject { ["name"] = a, ["role"] = a == "builder" ? "write" : "read" }).ToArray());

    private static string? RoleOf(OperatorEnvironment env, string repository) => RepositoryRoles.RoleOf(env, Org, repository, Builder);

    private static bool NamesRepository(JsonObject? record, string repository) =>
        record?["spec"]?["organizations"]?.AsArray().Any(o => o?["repositories"]?.AsArray().Any(r => r?["name"]?.GetValue<string>() == repository) == true) == true;

    /// <summary>The roles on record as given to the found robot (those given to the operator's own deployer on their repositories are beside them).</summary>
    private static List<JsonNode?> GivenPermissions(JsonObject? record) => RepositoryRoles.Noted(record, Builder);
}
