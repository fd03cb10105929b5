using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Organization robot accounts (docs/quay-api.md, "Endpoint details", Robots; checklist 1, 2, 5).</summary>
public sealed partial class RobotTests : EmulatorTest
{
    private const string RobotMissing = "Could not find robot with specified username";

    [GeneratedRegex("^[A-Z0-9]{64}$")]
    private static partial Regex RobotToken();

    [GeneratedRegex(@"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$")]
    private static partial Regex Rfc2822();


    [Fact]
    public async Task Create_is_201_with_token_and_null_metadata_when_omitted()
    {
        await CreateOrg("acme");
        var robot = (await Put("/api/v1/organization/acme/robots/builder", AliceToken, null)).AssertStatus(201).Object;
        Assert.Equal("acme+builder", (string?)robot["name"]);
        Assert.Matches(RobotToken(), (string?)robot["token"]);
        Assert.Matches(Rfc2822(), (string?)robot["created"]);
        Assert.Null(robot["last_accessed"]);
        Assert.True(robot.ContainsKey("last_accessed"));
        Assert.Equal("", (string?)robot["description"]);
        Assert.True(robot.ContainsKey("unstructured_metadata"));
        Assert.Null(robot["unstructured_metadata"]);
        Assert.Contains("\"name\":\"acme+builder\"", (await Get("/api/v1/organization/acme/robots/builder", AliceToken)).Body);
    }

    [Fact]
    public async Task Create_echoes_description_and_metadata_and_get_shows_them()
    {
        await CreateOrg("acme");
        var body = new JsonObject { ["description"] = "pushes", ["unstructured_metadata"] = new JsonObject { ["k"] = "v" } };
        var created = (await Put("/api/v1/organization/acme/robots/builder", AliceToken, body)).AssertStatus(201).Object;
        Assert.Equal("v", (string?)created["unstructured_metadata"]!["k"]);
        var fetched = (await Get("/api/v1/organization/acme/robots/builder", AliceToken)).AssertStatus(200).Object;
        Assert.Equal("pushes", (string?)fetched["description"]);
        Assert.Equal("v", (string?)fetched["unstructured_metadata"]!["k"]);
        Assert.Equal((string?)created["token"], (string?)fetched["token"]);
    }

    [Fact]
    public async Task Get_shows_empty_metadata_when_none_was_given()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        var fetched = (await Get("/api/v1/organization/acme/robots/builder", AliceToken)).AssertStatus(200).Object;
        Assert.Equal("{}", fetched["unstructured_metadata"]!.ToJsonString());
    }

    [Fact]
    public async Task Put_body_is_read_silently_so_empty_non_json_or_malformed_bodies_mean_no_body()
    {
        await CreateOrg("acme");
        (await Send(HttpMethod.Put, "/api/v1/organization/acme/robots/one", AliceToken, rawBody: "", contentType: null)).AssertStatus(201);
        (await Send(HttpMethod.Put, "/api/v1/organization/acme/robots/two", AliceToken, rawBody: "{oops", contentType: "application/json")).AssertStatus(201);
        (await Send(HttpMethod.Put, "/api/v1/organization/acme/robots/three", AliceToken, rawBody: "{\"description\":\"x\"}", contentType: "text/plain")).AssertStatus(201);
        Assert.Equal("", (string?)(await Get("/api/v1/organization/acme/robots/three", AliceToken)).Object["description"]);
    }

    [Fact]
    public async Task Duplicate_is_400_problem_existing_robot()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        (await Put("/api/v1/organization/acme/robots/builder", AliceToken, null))
            .AssertProblem(400, "invalid_request", "Existing robot with name: acme+builder");
    }

    [Theory]
    [InlineData("a--b", "Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$")]
    [InlineData("Builder", "Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$")]
    [InlineData("b", "Namespace must be between 2 and 255 characters in length")]
    public async Task Invalid_short_names_are_400_problem(string shortName, string reason)
    {
        await CreateOrg("acme");
        (await Put($"/api/v1/organization/acme/robots/{shortName}", AliceToken, null))
            .AssertProblem(400, "invalid_request", $"The name for the robot '{shortName}' is invalid: {reason}");
    }

    [Fact]
    public async Task Service_account_style_names_with_dots_are_valid()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "system.builder");
    }

    [Fact]
    public async Task Schema_errors_come_before_the_permission_check()
    {
        await CreateOrg("acme");
        var tooLong = new { description = new string('d', 256) };
        (await Put("/api/v1/organization/acme/robots/builder", BobToken, tooLong)).AssertProblemStartsWith(400, "invalid_request", "'ddd");
        (await Put("/api/v1/organization/acme/robots/builder", BobToken, new { unstructured_metadata = "x" }))
            .AssertProblemStartsWith(400, "invalid_request", "'x' is not of type 'object'");
        (await Put("/api/v1/organization/acme/robots/builder", BobToken, new { description = "ok" })).AssertForbidden();
    }

    [Theory]
    [InlineData("GET", "/api/v1/organization/acme/robots/ghost")]
    [InlineData("DELETE", "/api/v1/organization/acme/robots/ghost")]
    [InlineData("POST", "/api/v1/organization/acme/robots/ghost/regenerate")]
    [InlineData("GET", "/api/v1/organization/acme/robots/Ghost")]
    [InlineData("GET", "/api/v1/organization/acme/robots/x")]
    [InlineData("GET", "/api/v1/organization/acme/robots/caf%C3%A9")]
    public async Task Missing_robot_is_400_message_not_404(string method, string path)
    {
        await CreateOrg("acme");
        (await Send(new HttpMethod(method), path, AliceToken)).AssertMessage(400, RobotMissing);
    }

    [Theory]
    [InlineData("GET", "/api/v1/organization/ghost/robots")]
    [InlineData("GET", "/api/v1/organization/ghost/robots/bot")]
    [InlineData("PUT", "/api/v1/organization/ghost/robots/bot")]
    [InlineData("DELETE", "/api/v1/organization/ghost/robots/bot")]
    [InlineData("POST", "/api/v1/organization/ghost/robots/bot/regenerate")]
    public async Task Robot_endpoints_on_a_missing_org_are_403(string method, string path)
    {
        (await Send(new HttpMethod(method), path, AliceToken)).AssertForbidden();
    }

    [Fact]
    public async Task Non_admins_get_403_on_single_robot_endpoints()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        (await Get("/api/v1/organization/acme/robots/builder", BobToken)).AssertForbidden();
        (await Delete("/api/v1/organization/acme/robots/builder", BobToken)).AssertForbidden();
        (await Post("/api/v1/organization/acme/robots/builder/regenerate", BobToken, null)).AssertForbidden();
    }

    [Fact]
    public async Task List_includes_tokens_for_admins_unless_token_false()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        var robots = (await Get("/api/v1/organization/acme/robots", AliceToken)).AssertStatus(200).Object["robots"]!.AsArray();
        var robot = Assert.Single(robots)!.AsObject();
        Assert.Equal("acme+builder", (string?)robot["name"]);
        Assert.Matches(RobotToken(), (string?)robot["token"]);
        Assert.False(robot.ContainsKey("unstructured_metadata"));
        Assert.Equal("test robot", (string?)robot["description"]);

        var withoutTokens = (await Get("/api/v1/organization/acme/robots?token=false", AliceToken)).Object["robots"]!.AsArray();
        Assert.False(withoutTokens[0]!.AsObject().ContainsKey("token"));
    }

    [Fact]
    public async Task Members_may_list_but_never_see_tokens()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        Quay.AddTeamMember("acme", "creators", TeamRole.Creator, "bob");
        var robot = (await Get("/api/v1/organization/acme/robots", BobToken)).AssertStatus(200).Object["robots"]![0]!.AsObject();
        Assert.False(robot.ContainsKey("token"));
        (await Get("/api/v1/organization/acme/robots", CarolToken)).AssertForbidden();
    }

    [Fact]
    public async Task List_with_permissions_shows_teams_and_repositories()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        await CreateRepo("acme", "app");
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "write" })).AssertStatus(200);
        Quay.AddTeamMember("acme", "owners", TeamRole.Admin, "acme+builder");
        var robot = (await Get("/api/v1/organization/acme/robots?permissions=true", AliceToken)).Object["robots"]![0]!;
        Assert.Equal("owners", (string?)robot["teams"]![0]!["name"]);
        Assert.Equal("app", (string?)robot["repositories"]![0]);
    }

    [Fact]
    public async Task List_honours_limit()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "one");
        await CreateRobot("acme", "two");
        Assert.Single((await Get("/api/v1/organization/acme/robots?limit=1", AliceToken)).Object["robots"]!.AsArray());
    }

    [Fact]
    public async Task List_matches_names_with_sql_like_so_underscore_is_a_wildcard()
    {
        // Quirk: LIKE 'a_c+%' also matches robots of "abc".
        await CreateOrg("a_c");
        await CreateOrg("abc");
        await CreateRobot("abc", "other");
        var robots = (await Get("/api/v1/organization/a_c/robots", AliceToken)).Object["robots"]!.AsArray();
        Assert.Equal("abc+other", (string?)Assert.Single(robots)!["name"]);
    }

    [Fact]
    public async Task Deleting_an_organization_deletes_the_robots_its_sql_like_selects_a_look_alikes_too()
    {
        // Quay's mark_namespace_for_deletion deletes what list_namespace_robots selects: LIKE 'a_c+%'.
        await CreateOrg("a_c");
        await CreateOrg("abc");
        await CreateOrg("abd");
        await CreateRobot("abc", "other");
        await CreateRobot("abd", "kept");
        (await Delete("/api/v1/organization/a_c", AliceToken)).AssertStatus(204);
        (await Get("/api/v1/organization/abc/robots/other", AliceToken)).AssertStatus(400);
        Assert.Empty(Quay.State.Organization("abc")!.Robots);
        Assert.Equal("abd+kept", Assert.Single(Quay.State.Organization("abd")!.Robots).Name);
    }

    [Fact]
    public async Task Regenerate_returns_a_new_token_without_metadata()
    {
        await CreateOrg("acme");
        var created = await CreateRobot("acme", "builder");
        var regenerated = (await Post("/api/v1/organization/acme/robots/builder/regenerate", AliceToken, null)).AssertStatus(200).Object;
        Assert.Matches(RobotToken(), (string?)regenerated["token"]);
        Assert.NotEqual((string?)created["token"], (string?)regenerated["token"]);
        Assert.False(regenerated.ContainsKey("unstructured_metadata"));
        Assert.Equal((string?)regenerated["token"], (string?)(await Get("/api/v1/organization/acme/robots/builder", AliceToken)).Object["token"]);
    }

    [Fact]
    public async Task Delete_is_204_and_cascades_to_permissions_teams_and_prototypes()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        await CreateRobot("acme", "keeper");
        await CreateRepo("acme", "app");
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "write" })).AssertStatus(200);
        Quay.AddTeamMember("acme", "owners", TeamRole.Admin, "acme+builder");
        await AddPrototype("acme", "write", "acme+builder");
        await AddPrototype("acme", "read", "acme+keeper", activatingUser: "acme+builder");
        await AddPrototype("acme", "read", "acme+keeper");

        (await Delete("/api/v1/organization/acme/robots/builder", AliceToken)).AssertStatus(204);

        (await Get("/api/v1/organization/acme/robots/builder", AliceToken)).AssertMessage(400, RobotMissing);
        var org = Quay.State.Organization("acme")!;
        Assert.DoesNotContain("acme+builder", org.Teams.Single(t => t.Name == "owners").Members);
        Assert.False(Quay.State.Repository("acme", "app")!.UserPermissions.ContainsKey("acme+builder"));
        var remaining = Assert.Single(org.Prototypes);
        Assert.Equal(("acme+keeper", null), (remaining.DelegateName, remaining.ActivatingUser));
        // The name is free again at once.
        await CreateRobot("acme", "builder");
    }

    /// <summary><c>endpoints/api/robot.py</c> <c>OrgRobotPermissions.get</c> and <c>robot_models_pre_oci.list_robot_permissions</c>.</summary>
    [Fact]
    public async Task Permissions_of_a_robot_list_every_repository_with_its_role()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        await CreateRepo("acme", "app");
        await CreateRepo("acme", "site", visibility: "public");
        await CreateRepo("acme", "untouched");
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "write" })).AssertStatus(200);
        (await Put("/api/v1/repository/acme/site/permissions/user/acme+builder", AliceToken, new { role = "read" })).AssertStatus(200);

        var permissions = (await Get("/api/v1/organization/acme/robots/builder/permissions", AliceToken)).AssertStatus(200).Object["permissions"]!.AsArray();
        Assert.Equal(2, permissions.Count);
        var byName = permissions.ToDictionary(p => (string)p!["repository"]!["name"]!, p => p!.AsObject());
        Assert.Equal("write", (string?)byName["app"]["role"]);
        Assert.False((bool)byName["app"]["repository"]!["is_public"]!);
        Assert.Equal("read", (string?)byName["site"]["role"]);
        Assert.True((bool)byName["site"]["repository"]!["is_public"]!);

        // A changed role shows at once; a removed permission disappears.
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "read" })).AssertStatus(200);
        (await Delete("/api/v1/repository/acme/site/permissions/user/acme+builder", AliceToken)).AssertStatus(204);
        var after = (await Get("/api/v1/organization/acme/robots/builder/permissions", AliceToken)).Object["permissions"]!.AsArray();
        Assert.Equal("read", (string?)Assert.Single(after)!["role"]);
    }

    [Fact]
    public async Task Permissions_of_a_robot_need_user_admin_and_organization_admin()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        (await Get("/api/v1/organization/acme/robots/builder/permissions")).AssertStatus(401);
        var noUserAdmin = Quay.AddToken("alice", QuayScopes.OrgAdmin | QuayScopes.RepoAdmin);
        (await Get("/api/v1/organization/acme/robots/builder/permissions", noUserAdmin)).AssertForbidden();
        (await Get("/api/v1/organization/acme/robots/builder/permissions", BobToken)).AssertForbidden();
        (await Get("/api/v1/organization/nosuchorg/robots/builder/permissions", AliceToken)).AssertForbidden();
        (await Get("/api/v1/organization/acme/robots/nosuchrobot/permissions", AliceToken)).AssertMessage(400, RobotMissing);
    }
}
