using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>
/// Organization OAuth applications: Quay's <c>endpoints/api/organization.py</c> (<c>OrganizationApplications</c>,
/// <c>OrganizationApplicationResource</c>, <c>app_view</c>) and <c>data/model/oauth.py</c>.
/// </summary>
public sealed class ApplicationTests : EmulatorTest
{
    private const string Applications = "/api/v1/organization/acme/applications";

    private async Task<JsonObject> CreateApp(string org, object body, string token = AliceToken) =>
        (await Post($"/api/v1/organization/{org}/applications", token, body)).AssertStatus(200).Object;

    [Fact]
    public async Task Create_is_200_with_app_view_and_generated_credentials()
    {
        await CreateOrg("acme");
        var app = await CreateApp("acme", new
        {
            name = "ci", description = "the CI", application_uri = "https://ci.example.com",
            redirect_uri = "https://ci.example.com/callback", avatar_email = "ci@example.com",
        });

        Assert.Equal(["name", "description", "application_uri", "client_id", "client_secret", "redirect_uri", "avatar_email"],
            app.Select(p => p.Key));
        Assert.Equal("ci", (string?)app["name"]);
        Assert.Equal("the CI", (string?)app["description"]);
        Assert.Equal("https://ci.example.com", (string?)app["application_uri"]);
        Assert.Equal("https://ci.example.com/callback", (string?)app["redirect_uri"]);
        Assert.Equal("ci@example.com", (string?)app["avatar_email"]);
        Assert.Matches("^[A-Z0-9]{20}$", (string?)app["client_id"]);
        Assert.Matches("^[A-Z0-9]{40}$", (string?)app["client_secret"]);

        var stored = Assert.Single(Quay.State.Organization("acme")!.Applications);
        Assert.Equal(((string?)app["client_id"], (string?)app["client_secret"]), (stored.ClientId, stored.ClientSecret));
        Assert.Equal("alice", stored.CreatedBy);
        Assert.Equal(1, Quay.Calls.Count("POST", "/api/v1/organization/{orgname}/applications", 200));
    }

    [Fact]
    public async Task Only_name_is_required_and_the_rest_defaults_like_create_application()
    {
        await CreateOrg("acme");
        var app = await CreateApp("acme", new { name = "bare" });
        Assert.Equal("", (string?)app["description"]);
        Assert.Equal("", (string?)app["application_uri"]);
        Assert.Equal("", (string?)app["redirect_uri"]);
        Assert.True(app.ContainsKey("avatar_email"));
        Assert.Null(app["avatar_email"]);
    }

    [Fact]
    public async Task List_shows_every_application_in_creation_order_and_names_need_not_be_unique()
    {
        await CreateOrg("acme");
        (await Get(Applications, AliceToken)).AssertStatus(200);
        Assert.Empty((await Get(Applications, AliceToken)).Object["applications"]!.AsArray());

        var first = await CreateApp("acme", new { name = "same" });
        var second = await CreateApp("acme", new { name = "same" });
        var third = await CreateApp("acme", new { name = "other", redirect_uri = "https://x.example/cb" });
        Assert.NotEqual((string?)first["client_id"], (string?)second["client_id"]);

        var listed = (await Get(Applications, AliceToken)).AssertStatus(200).Object;
        Assert.Equal(["applications"], listed.Select(p => p.Key));
        var apps = listed["applications"]!.AsArray();
        Assert.Equal([(string)first["client_id"]!, (string)second["client_id"]!, (string)third["client_id"]!],
            apps.Select(a => (string)a!["client_id"]!));
        Assert.Equal(third.ToJsonString(), apps[2]!.ToJsonString());
        Assert.Equal(3, Quay.State.Organization("acme")!.Applications.Count);
    }

    [Fact]
    public async Task Get_one_is_the_view_and_unknown_or_foreign_client_ids_are_404()
    {
        await CreateOrg("acme");
        await CreateOrg("other");
        var app = await CreateApp("acme", new { name = "ci" });
        var foreign = await CreateApp("other", new { name = "theirs" });

        var got = (await Get($"{Applications}/{app["client_id"]}", AliceToken)).AssertStatus(200).Object;
        Assert.Equal(app.ToJsonString(), got.ToJsonString());
        (await Get($"{Applications}/NOSUCHCLIENTID000000", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        (await Get($"{Applications}/{foreign["client_id"]}", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        (await Delete($"{Applications}/{foreign["client_id"]}", AliceToken)).AssertProblem(404, "not_found", "Not Found");
    }

    [Fact]
    public async Task Put_replaces_the_fields_and_keeps_the_credentials()
    {
        await CreateOrg("acme");
        var app = await CreateApp("acme", new { name = "ci", description = "old", avatar_email = "a@example.com" });
        var updated = (await Put($"{Applications}/{app["client_id"]}", AliceToken,
            new { name = "ci2", redirect_uri = "https://r.example", application_uri = "https://a.example" })).AssertStatus(200).Object;
        Assert.Equal("ci2", (string?)updated["name"]);
        Assert.Equal("https://r.example", (string?)updated["redirect_uri"]);
        Assert.Equal("https://a.example", (string?)updated["application_uri"]);
        Assert.Equal("", (string?)updated["description"]);
        Assert.Null(updated["avatar_email"]);
        Assert.Equal((string?)app["client_id"], (string?)updated["client_id"]);
        Assert.Equal((string?)app["client_secret"], (string?)updated["client_secret"]);

        (await Put($"{Applications}/{app["client_id"]}", AliceToken, new { name = "ci3" }))
            .AssertProblemStartsWith(400, "invalid_request", "'redirect_uri' is a required property");
    }

    [Fact]
    public async Task Delete_is_204_then_404()
    {
        await CreateOrg("acme");
        var app = await CreateApp("acme", new { name = "ci" });
        var reply = (await Delete($"{Applications}/{app["client_id"]}", AliceToken)).AssertStatus(204);
        Assert.Equal("", reply.Body);
        (await Delete($"{Applications}/{app["client_id"]}", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        (await Get($"{Applications}/{app["client_id"]}", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        Assert.Empty(Quay.State.Organization("acme")!.Applications);
    }

    [Fact]
    public async Task Every_endpoint_is_for_organization_admins_only()
    {
        await CreateOrg("acme");
        var app = await CreateApp("acme", new { name = "ci" });
        var one = $"{Applications}/{app["client_id"]}";
        var put = new { name = "x", redirect_uri = "", application_uri = "" };

        Quay.AddTeamMember("acme", "readers", TeamRole.Member, "bob");
        Quay.AddTeamMember("acme", "creators", TeamRole.Creator, "carol");
        // alice is an owner, but a token without org:admin caps her team role at creator.
        var noOrgAdmin = Quay.AddToken("alice", QuayScopes.RepoAdmin | QuayScopes.RepoCreate | QuayScopes.UserAdmin | QuayScopes.UserRead);
        foreach (var token in new[] { BobToken, CarolToken, noOrgAdmin, AdminToken })
        {
            (await Get(Applications, token)).AssertForbidden();
            (await Post(Applications, token, new { name = "sneaky" })).AssertForbidden();
            (await Get(one, token)).AssertForbidden();
            (await Put(one, token, put)).AssertForbidden();
            (await Delete(one, token)).AssertForbidden();
        }
        (await Get(Applications)).AssertUnauthenticated();
        (await Get(one)).AssertUnauthenticated();
        Assert.Single(Quay.State.Organization("acme")!.Applications);
    }

    [Fact]
    public async Task A_missing_organization_fails_the_permission_check()
    {
        (await Get("/api/v1/organization/ghost/applications", AliceToken)).AssertForbidden();
        (await Post("/api/v1/organization/ghost/applications", AliceToken, new { name = "ci" })).AssertForbidden();
        (await Get("/api/v1/organization/ghost/applications/X", AliceToken)).AssertForbidden();
        (await Delete("/api/v1/organization/ghost/applications/X", AliceToken)).AssertForbidden();
    }

    [Fact]
    public async Task Schema_failures_come_before_the_permission_check()
    {
        await CreateOrg("acme");
        (await Post(Applications, BobToken, new { description = "no name" }))
            .AssertProblemStartsWith(400, "invalid_request", "'name' is a required property");
        (await Post(Applications, BobToken, new { name = 5 }))
            .AssertProblemStartsWith(400, "invalid_request", "5 is not of type 'string'");
        (await Post(Applications, BobToken, new JsonObject { ["name"] = "ci", ["avatar_email"] = null }))
            .AssertProblemStartsWith(400, "invalid_request", "None is not of type 'string'");
        (await Post(Applications, BobToken, new { name = "ci" })).AssertForbidden();
    }

    [Fact]
    public async Task A_full_access_superuser_gets_in_but_app_view_hides_the_secrets_from_a_non_admin()
    {
        await CreateOrg("acme");
        await CreateApp("acme", new { name = "ci", redirect_uri = "https://r.example", avatar_email = "a@example.com" });
        Quay.SuperusersFullAccess = true;

        var app = (await Get(Applications, AdminToken)).AssertStatus(200).Object["applications"]!.AsArray().Single()!.AsObject();
        Assert.Equal("ci", (string?)app["name"]);
        Assert.NotNull((string?)app["client_id"]);
        Assert.Null(app["client_secret"]);
        Assert.Null(app["redirect_uri"]);
        Assert.Null(app["avatar_email"]);
        Assert.True(app.ContainsKey("client_secret"));
        (await Get("/api/v1/organization/ghost/applications", AdminToken)).AssertProblem(404, "not_found", "Not Found");
    }

    [Fact]
    public async Task Deleting_the_organization_deletes_its_applications()
    {
        await CreateOrg("acme");
        var app = await CreateApp("acme", new { name = "ci" });
        await CreateApp("acme", new { name = "cd" });
        (await Delete("/api/v1/organization/acme", AliceToken)).AssertStatus(204);

        Assert.Null(Quay.State.Organization("acme"));
        Assert.DoesNotContain(Quay.State.Organizations, o => o.Applications.Any(a => a.ClientId == (string?)app["client_id"]));
        (await Get(Applications, AliceToken)).AssertForbidden();

        Quay.CollectGarbageNow();
        await CreateOrg("acme");
        Assert.Empty((await Get(Applications, AliceToken)).AssertStatus(200).Object["applications"]!.AsArray());
        (await Get($"{Applications}/{app["client_id"]}", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        Assert.Empty(Quay.State.Organization("acme")!.Applications);
    }

    [Fact]
    public async Task Discovery_lists_the_routes_with_quays_nicknames_and_org_admin_scope()
    {
        var paths = (await Get("/api/v1/discovery")).AssertStatus(200).Object["paths"]!;
        var list = paths["/api/v1/organization/{orgname}/applications"]!;
        var one = paths["/api/v1/organization/{orgname}/applications/{client_id}"]!;
        Assert.Equal("getOrganizationApplications", (string?)list["get"]!["operationId"]);
        Assert.Equal("createOrganizationApplication", (string?)list["post"]!["operationId"]);
        Assert.Equal("getOrganizationApplication", (string?)one["get"]!["operationId"]);
        Assert.Equal("updateOrganizationApplication", (string?)one["put"]!["operationId"]);
        Assert.Equal("deleteOrganizationApplication", (string?)one["delete"]!["operationId"]);
        foreach (var operation in new[] { list["get"], list["post"], one["get"], one["put"], one["delete"] })
            Assert.Equal("org:admin", (string?)operation!["security"]![0]!["oauth2_implicit"]![0]);
        Assert.Equal(["orgname", "client_id"], one["delete"]!["parameters"]!.AsArray().Select(p => (string)p!["name"]!));
    }

    [Fact]
    public async Task The_state_json_carries_the_applications()
    {
        await CreateOrg("acme");
        var app = await CreateApp("acme", new { name = "ci" });
        var state = (await Get("/_emulator/state")).AssertStatus(200).Object;
        var org = state["organizations"]!.AsArray().Single(o => (string?)o!["name"] == "acme")!;
        var stored = org["applications"]!.AsArray().Single()!;
        Assert.Equal((string?)app["client_id"], (string?)stored["clientId"]);
        Assert.Equal((string?)app["client_secret"], (string?)stored["clientSecret"]);
    }
}
