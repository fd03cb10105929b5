using System.Net.Http.Headers;
using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>docs/quay-api.md, "Authentication, CSRF and scopes", and checklist items 7 and 8.</summary>
public sealed class AuthenticationTests : EmulatorTest
{
    [Fact]
    public async Task Unknown_token_is_anonymous_so_get_organization_is_the_public_view()
    {
        await CreateOrg("acme");
        var reply = (await Get("/api/v1/organization/acme", UnknownToken)).AssertStatus(200);
        Assert.Equal("acme", (string?)reply.Object["name"]);
        Assert.Equal("", (string?)reply.Object["email"]);
        Assert.False((bool)reply.Object["is_admin"]!);
        Assert.False((bool)reply.Object["is_member"]!);
        Assert.False(reply.Object.ContainsKey("teams"));
    }

    [Fact]
    public async Task Unknown_token_on_a_protected_get_is_401_invalid_token()
    {
        await CreateOrg("acme");
        (await Get("/api/v1/organization/acme/robots", UnknownToken)).AssertUnauthenticated();
        (await Get("/api/v1/organization/acme/prototypes", UnknownToken)).AssertUnauthenticated();
        (await Get("/api/v1/organization/acme/robots/bot", UnknownToken)).AssertUnauthenticated();
    }

    public static TheoryData<string, string> Writes => new()
    {
        { "POST", "/api/v1/organization/" },
        { "DELETE", "/api/v1/organization/acme" },
        { "PUT", "/api/v1/organization/acme/robots/bot" },
        { "DELETE", "/api/v1/organization/acme/robots/bot" },
        { "POST", "/api/v1/organization/acme/robots/bot/regenerate" },
        { "POST", "/api/v1/organization/acme/prototypes" },
        { "DELETE", "/api/v1/organization/acme/prototypes/some-id" },
        { "PUT", "/api/v1/organization/acme/prototypes/some-id" },
        { "POST", "/api/v1/organization/acme/applications" },
        { "PUT", "/api/v1/organization/acme/applications/SOMECLIENTID" },
        { "DELETE", "/api/v1/organization/acme/applications/SOMECLIENTID" },
        { "POST", "/api/v1/repository" },
        { "DELETE", "/api/v1/repository/acme/app" },
        { "PUT", "/api/v1/repository/acme/app/permissions/user/alice" },
        { "DELETE", "/api/v1/repository/acme/app/permissions/user/alice" },
    };

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task Every_write_without_a_valid_token_is_the_csrf_403_served_as_html(string method, string path)
    {
        await CreateOrg("acme");
        (await Send(new HttpMethod(method), path, UnknownToken, json: new { name = "x", role = "read" })).AssertCsrf();
        (await Send(new HttpMethod(method), path, token: null, json: new { name = "x", role = "read" })).AssertCsrf();
    }

    [Fact]
    public async Task Basic_auth_is_ignored_on_the_api_so_the_request_is_anonymous()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/user/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:pw"u8.ToArray()));
        using var response = await Client().SendAsync(request);
        (await Reply.ReadAsync(response)).AssertUnauthenticated();
    }

    [Fact]
    public async Task Token_without_the_needed_scope_is_403_insufficient_scope()
    {
        await CreateOrg("acme");
        // carol only has repo:read; even as an owner of the org she is not seen as an admin.
        Quay.AddTeamMember("acme", "owners", Model.TeamRole.Admin, "carol");
        (await Put("/api/v1/organization/acme/robots/bot", CarolToken, null)).AssertForbidden();
        (await Get("/api/v1/organization/acme/robots", CarolToken)).AssertForbidden();
        (await Delete("/api/v1/organization/acme", CarolToken)).AssertForbidden();
    }

    [Fact]
    public async Task Org_admin_needs_the_org_admin_scope_even_for_an_owner()
    {
        var repoOnly = Quay.AddToken("alice", QuayScopes.RepoAdmin | QuayScopes.RepoCreate | QuayScopes.UserAdmin);
        await CreateOrg("acme");
        (await Get("/api/v1/organization/acme/prototypes", repoOnly)).AssertForbidden();
        (await Get("/api/v1/organization/acme", AliceToken)).AssertStatus(200);
        Assert.True((bool)(await Get("/api/v1/organization/acme", AliceToken)).Object["is_admin"]!);
        // repo:create caps membership at "creator": a member, not an admin.
        var org = (await Get("/api/v1/organization/acme", repoOnly)).AssertStatus(200).Object;
        Assert.False((bool)org["is_admin"]!);
        Assert.True((bool)org["is_member"]!);
    }

    [Fact]
    public async Task Revoked_token_makes_requests_anonymous()
    {
        var token = Quay.AddToken("alice", OperatorScopes);
        (await Get("/api/v1/user/", token)).AssertStatus(200);
        Quay.RevokeToken(token);
        (await Get("/api/v1/user/", token)).AssertUnauthenticated();
        (await Post("/api/v1/organization/", token, new { name = "acme" })).AssertCsrf();
    }

    [Fact]
    public async Task Superuser_without_full_access_is_an_ordinary_user_for_other_orgs()
    {
        await CreateOrg("acme");
        (await Get("/api/v1/organization/acme/robots", AdminToken)).AssertForbidden();
        (await Delete("/api/v1/organization/acme", AdminToken)).AssertForbidden();
    }

    [Fact]
    public async Task Superuser_with_full_access_and_super_user_scope_bypasses_org_checks()
    {
        await CreateOrg("acme");
        Quay.SuperusersFullAccess = true;
        (await Get("/api/v1/organization/acme/robots", AdminToken)).AssertStatus(200);
        // Without the super:user scope the bypass does not apply.
        var noSuperScope = Quay.AddToken("admin", QuayScopes.All & ~QuayScopes.SuperUser);
        (await Get("/api/v1/organization/acme/robots", noSuperScope)).AssertForbidden();
        // Full-access superusers get the 404 the others cannot see.
        (await Delete("/api/v1/organization/ghost", AdminToken)).AssertProblem(404, "not_found", "Not Found");
        (await Delete("/api/v1/organization/acme", AdminToken)).AssertStatus(204);
    }

    [Fact]
    public async Task Jwt_shaped_unknown_tokens_are_also_just_anonymous_for_gets()
    {
        // Assumption: the emulator has no SSO, so a JWT-looking bearer is an unknown token (anonymous), not a 401 (C).
        await CreateOrg("acme");
        (await Get("/api/v1/organization/acme", "eyJ0eXAiOiJKV1QifQ.e30.sig")).AssertStatus(200);
    }
}
