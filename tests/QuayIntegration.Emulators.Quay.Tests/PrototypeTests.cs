using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Default permissions (docs/quay-api.md, "Endpoint details", Default permissions; checklist 5 and 6).</summary>
public sealed class PrototypeTests : EmulatorTest
{
    [Fact]
    public async Task Create_is_200_not_201_with_the_P_shape()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        var prototype = await AddPrototype("acme", "write", "acme+builder");
        Assert.True(Guid.TryParse((string?)prototype["id"], out _));
        Assert.Equal("write", (string?)prototype["role"]);
        Assert.Null(prototype["activating_user"]);
        Assert.True(prototype.ContainsKey("activating_user"));
        var delegateUser = prototype["delegate"]!.AsObject();
        Assert.Equal("acme+builder", (string?)delegateUser["name"]);
        Assert.Equal("user", (string?)delegateUser["kind"]);
        Assert.True((bool)delegateUser["is_robot"]!);
        Assert.True((bool)delegateUser["is_org_member"]!);
        Assert.Equal("robot", (string?)delegateUser["avatar"]!["kind"]);
    }

    [Fact]
    public async Task Same_prototype_twice_makes_two_rows()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        var first = await AddPrototype("acme", "write", "acme+builder");
        var second = await AddPrototype("acme", "write", "acme+builder");
        Assert.NotEqual((string?)first["id"], (string?)second["id"]);
        var listed = (await Get("/api/v1/organization/acme/prototypes", AliceToken)).AssertStatus(200).Object["prototypes"]!.AsArray();
        Assert.Equal(2, listed.Count);
    }

    [Fact]
    public async Task Activating_user_and_user_delegates_use_the_U_shape()
    {
        await CreateOrg("acme");
        var prototype = await AddPrototype("acme", "read", "bob", activatingUser: "alice");
        Assert.Equal("alice", (string?)prototype["activating_user"]!["name"]);
        Assert.True((bool)prototype["activating_user"]!["is_org_member"]!);
        Assert.False((bool)prototype["delegate"]!["is_robot"]!);
        Assert.False((bool)prototype["delegate"]!["is_org_member"]!);
    }

    [Fact]
    public async Task Team_delegate_has_the_team_shape()
    {
        await CreateOrg("acme");
        var prototype = await AddPrototype("acme", "admin", "owners", kind: "team");
        var team = prototype["delegate"]!.AsObject();
        Assert.Equal(["name", "kind", "avatar"], team.Select(p => p.Key));
        Assert.Equal(("owners", "team", "team"), ((string?)team["name"], (string?)team["kind"], (string?)team["avatar"]!["kind"]));
    }

    [Fact]
    public async Task Unknown_references_give_quays_three_different_answers()
    {
        await CreateOrg("acme");
        var body = new JsonObject { ["role"] = "read", ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = "bob" }, ["activating_user"] = new JsonObject { ["name"] = "nobody" } };
        (await Post("/api/v1/organization/acme/prototypes", AliceToken, body)).AssertProblem(400, "invalid_request", "Unknown activating user");

        body = new JsonObject { ["role"] = "read", ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = "acme+ghost" } };
        (await Post("/api/v1/organization/acme/prototypes", AliceToken, body)).AssertProblem(400, "invalid_request", "Missing delegate user or team");

        // The delegate lookup ignores organizations.
        body = new JsonObject { ["role"] = "read", ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = "acme" } };
        (await Post("/api/v1/organization/acme/prototypes", AliceToken, body)).AssertProblem(400, "invalid_request", "Missing delegate user or team");

        body = new JsonObject { ["role"] = "read", ["delegate"] = new JsonObject { ["kind"] = "team", ["name"] = "ghosts" } };
        (await Post("/api/v1/organization/acme/prototypes", AliceToken, body)).AssertMessage(400, "('Team does not exist: %s/%s', 'acme', 'ghosts')");
    }

    [Fact]
    public async Task Schema_failures_come_before_the_permission_check()
    {
        await CreateOrg("acme");
        (await Post("/api/v1/organization/acme/prototypes", BobToken, new { role = "owner", @delegate = new { kind = "user", name = "bob" } }))
            .AssertProblemStartsWith(400, "invalid_request", "'owner' is not one of ['read', 'write', 'admin']");
        (await Post("/api/v1/organization/acme/prototypes", BobToken, new { role = "read" }))
            .AssertProblemStartsWith(400, "invalid_request", "'delegate' is a required property");
        (await Post("/api/v1/organization/acme/prototypes", BobToken, new { role = "read", @delegate = new { kind = "robot", name = "x" } }))
            .AssertProblemStartsWith(400, "invalid_request", "'robot' is not one of ['user', 'team']");
        (await Post("/api/v1/organization/acme/prototypes", BobToken, new { role = "read", @delegate = new { kind = "user", name = "bob" } })).AssertForbidden();
    }

    [Fact]
    public async Task Extra_delegate_keys_are_ignored()
    {
        await CreateOrg("acme");
        var body = new JsonObject { ["role"] = "read", ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = "bob", ["is_robot"] = false, ["is_org_member"] = true } };
        (await Post("/api/v1/organization/acme/prototypes", AliceToken, body)).AssertStatus(200);
    }

    [Fact]
    public async Task Missing_org_is_403_for_every_prototype_endpoint()
    {
        (await Get("/api/v1/organization/ghost/prototypes", AliceToken)).AssertForbidden();
        (await Post("/api/v1/organization/ghost/prototypes", AliceToken, new { role = "read", @delegate = new { kind = "user", name = "bob" } })).AssertForbidden();
        (await Delete("/api/v1/organization/ghost/prototypes/x", AliceToken)).AssertForbidden();
        (await Put("/api/v1/organization/ghost/prototypes/x", AliceToken, new { role = "read" })).AssertForbidden();
    }

    [Fact]
    public async Task Delete_is_204_and_unknown_id_is_404()
    {
        await CreateOrg("acme");
        var prototype = await AddPrototype("acme", "read", "bob");
        (await Delete($"/api/v1/organization/acme/prototypes/{prototype["id"]}", AliceToken)).AssertStatus(204);
        (await Delete($"/api/v1/organization/acme/prototypes/{prototype["id"]}", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        Assert.Empty(Quay.State.Organization("acme")!.Prototypes);
    }

    [Fact]
    public async Task Put_changes_the_role_and_unknown_id_is_404()
    {
        await CreateOrg("acme");
        var prototype = await AddPrototype("acme", "read", "bob");
        var updated = (await Put($"/api/v1/organization/acme/prototypes/{prototype["id"]}", AliceToken, new { role = "admin" })).AssertStatus(200).Object;
        Assert.Equal("admin", (string?)updated["role"]);
        (await Put("/api/v1/organization/acme/prototypes/nope", AliceToken, new { role = "admin" })).AssertProblem(404, "not_found");
    }

    [Fact]
    public async Task Generic_prototypes_apply_to_repositories_created_afterwards()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        await CreateRepo("acme", "before");
        await AddPrototype("acme", "write", "acme+builder");
        await AddPrototype("acme", "read", "owners", kind: "team");
        await CreateRepo("acme", "after");

        Assert.False(Quay.State.Repository("acme", "before")!.UserPermissions.ContainsKey("acme+builder"));
        var after = Quay.State.Repository("acme", "after")!;
        Assert.Equal("write", after.UserPermissions["acme+builder"]);
        Assert.Equal("read", after.TeamPermissions["owners"]);
        Assert.Equal("admin", after.UserPermissions["alice"]);
    }

    [Fact]
    public async Task Prototypes_for_another_activating_user_do_not_apply_and_the_creators_win()
    {
        await CreateOrg("acme");
        Quay.AddTeamMember("acme", "owners", TeamRole.Admin, "bob");
        await CreateRobot("acme", "builder");
        await AddPrototype("acme", "read", "acme+builder", activatingUser: "alice");
        await AddPrototype("acme", "admin", "acme+builder", activatingUser: "bob");
        await AddPrototype("acme", "write", "acme+builder");

        await CreateRepo("acme", "by-alice", AliceToken);
        await CreateRepo("acme", "by-bob", BobToken);

        Assert.Equal("read", Quay.State.Repository("acme", "by-alice")!.UserPermissions["acme+builder"]);
        Assert.Equal("admin", Quay.State.Repository("acme", "by-bob")!.UserPermissions["acme+builder"]);
    }

    [Fact]
    public async Task Of_two_generic_prototypes_for_one_delegate_the_first_applies_and_one_for_the_creator_replaces_it()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        await CreateRobot("acme", "deployer");
        await AddPrototype("acme", "read", "acme+builder");
        await AddPrototype("acme", "write", "acme+builder");
        await AddPrototype("acme", "write", "acme+deployer", activatingUser: "alice");
        await AddPrototype("acme", "admin", "acme+deployer");
        await CreateRepo("acme", "app");

        var repo = Quay.State.Repository("acme", "app")!;
        Assert.Equal("read", repo.UserPermissions["acme+builder"]);
        Assert.Equal("write", repo.UserPermissions["acme+deployer"]);
    }

    [Fact]
    public async Task Prototypes_do_not_apply_in_a_users_own_namespace()
    {
        await CreateRepo("alice", "mine");
        var repo = Quay.State.Repository("alice", "mine")!;
        Assert.Equal(["alice"], repo.UserPermissions.Keys);
    }
}
