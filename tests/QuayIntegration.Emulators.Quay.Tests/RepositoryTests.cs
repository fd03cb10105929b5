using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>
/// Repositories (docs/quay-api.md, "403 or 404 for a repository", "Endpoint details", "Name rules, by example",
/// checklist 3, 4, 5).
/// </summary>
public sealed class RepositoryTests : EmulatorTest
{
    [Fact]
    public async Task Create_is_201_with_namespace_name_kind_and_the_creator_gets_admin()
    {
        await CreateOrg("acme");
        var reply = (await Post("/api/v1/repository", AliceToken, new { @namespace = "acme", repository = "app", visibility = "private", description = "" })).AssertStatus(201);
        Assert.Equal("{\"namespace\":\"acme\",\"name\":\"app\",\"kind\":\"image\"}\n", reply.Body);
        Assert.Equal("admin", Quay.State.Repository("acme", "app")!.UserPermissions["alice"]);
    }

    [Fact]
    public async Task Namespace_defaults_to_the_callers_user()
    {
        var reply = (await Post("/api/v1/repository", AliceToken, new { repository = "mine", visibility = "public", description = "d", repo_kind = "image" })).AssertStatus(201);
        Assert.Equal("alice", (string?)reply.Object["namespace"]);
    }

    [Fact]
    public async Task Duplicate_is_400_repository_already_exists()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "acme", repository = "app", visibility = "private", description = "" }))
            .AssertProblem(400, "invalid_request", "Repository already exists");
    }

    [Theory]
    [InlineData("UpperCase")]
    [InlineData("-a")]
    [InlineData("a//b")]
    [InlineData("a/")]
    public async Task Invalid_names_are_400_invalid_repository_name(string name)
    {
        await CreateOrg("acme");
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "acme", repository = name, visibility = "private", description = "" }))
            .AssertProblem(400, "invalid_request", "Invalid repository name");
    }

    [Fact]
    public async Task Name_of_256_characters_is_invalid_and_255_is_valid()
    {
        await CreateOrg("acme");
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "acme", repository = new string('x', 256), visibility = "private", description = "" }))
            .AssertProblem(400, "invalid_request", "Invalid repository name");
        await CreateRepo("acme", new string('x', 255));
    }

    [Theory]
    [InlineData("a--b")]
    [InlineData("a__b")]
    [InlineData("a-")]
    [InlineData("a")]
    [InlineData("foo/bar")]
    [InlineData("openshift_e2e-demo")]
    public async Task Repository_names_allow_runs_of_separators_and_slashes(string name)
    {
        await CreateOrg("acme");
        await CreateRepo("acme", name);
    }

    [Fact]
    public async Task Schema_failures_come_first()
    {
        (await Post("/api/v1/repository", BobToken, new { @namespace = "ghost", repository = "app", visibility = "private" }))
            .AssertProblemStartsWith(400, "invalid_request", "'description' is a required property");
        (await Post("/api/v1/repository", BobToken, new { @namespace = "ghost", repository = "app", visibility = "internal", description = "" }))
            .AssertProblemStartsWith(400, "invalid_request", "'internal' is not one of ['public', 'private']");
        (await Post("/api/v1/repository", BobToken, new { @namespace = "ghost", repository = "app", visibility = "private", description = "", repo_kind = "application" }))
            .AssertProblemStartsWith(400, "invalid_request", "'application' is not one of");
    }

    [Fact]
    public async Task No_create_permission_or_a_missing_namespace_is_403_before_existence_and_name_checks()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        (await Post("/api/v1/repository", BobToken, new { @namespace = "acme", repository = "app", visibility = "private", description = "" })).AssertForbidden();
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "ghost", repository = "app", visibility = "private", description = "" })).AssertForbidden();
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "bob", repository = "app", visibility = "private", description = "" })).AssertForbidden();
    }

    [Fact]
    public async Task Creator_team_members_may_create_with_repo_create_scope()
    {
        await CreateOrg("acme");
        Quay.AddTeamMember("acme", "creators", TeamRole.Creator, "bob");
        var createOnly = Quay.AddToken("bob", QuayScopes.RepoCreate);
        await CreateRepo("acme", "by-bob", createOnly);
        // repo:read alone does not make carol a creator even in a creator team.
        Quay.AddTeamMember("acme", "creators", TeamRole.Creator, "carol");
        (await Post("/api/v1/repository", CarolToken, new { @namespace = "acme", repository = "x", visibility = "private", description = "" })).AssertForbidden();
    }

    [Fact]
    public async Task Get_is_200_with_the_repository_view_and_tags()
    {
        await CreateOrg("acme");
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "acme", repository = "app", visibility = "private", description = "the app" })).AssertStatus(201);
        var repo = (await Get("/api/v1/repository/acme/app", AliceToken)).AssertStatus(200).Object;
        Assert.Equal("acme", (string?)repo["namespace"]);
        Assert.Equal("app", (string?)repo["name"]);
        Assert.Equal("image", (string?)repo["kind"]);
        Assert.Equal("the app", (string?)repo["description"]);
        Assert.False((bool)repo["is_public"]!);
        Assert.True((bool)repo["is_organization"]!);
        Assert.True((bool)repo["can_write"]!);
        Assert.True((bool)repo["can_admin"]!);
        Assert.Equal("NORMAL", (string?)repo["state"]);
        Assert.Empty(repo["tags"]!.AsObject());
        Assert.False(repo.ContainsKey("stats"));
        Assert.False((await Get("/api/v1/repository/acme/app?includeTags=false", AliceToken)).Object.ContainsKey("tags"));
        Assert.True((await Get("/api/v1/repository/acme/app?includeStats=true", AliceToken)).Object.ContainsKey("stats"));
    }

    [Fact]
    public async Task Missing_repository_is_404_only_with_namespace_wide_access()
    {
        await CreateOrg("acme");
        (await Get("/api/v1/repository/acme/ghost", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        (await Get("/api/v1/repository/acme/ghost", BobToken)).AssertForbidden();
        (await Get("/api/v1/repository/ghost/ghost", AliceToken)).AssertForbidden();
        (await Get("/api/v1/repository/acme/ghost")).AssertUnauthenticated();
        (await Get("/api/v1/repository/alice/ghost", AliceToken)).AssertProblem(404, "not_found");
    }

    [Fact]
    public async Task Private_repository_is_403_to_others_401_to_anonymous_and_public_is_readable_by_all()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "secret");
        await CreateRepo("acme", "open", visibility: "public");
        (await Get("/api/v1/repository/acme/secret", BobToken)).AssertForbidden();
        (await Get("/api/v1/repository/acme/secret", UnknownToken)).AssertUnauthenticated();
        var open = (await Get("/api/v1/repository/acme/open")).AssertStatus(200).Object;
        Assert.False((bool)open["can_write"]!);
        Assert.Equal("", (string?)open["status_token"]);
    }

    [Fact]
    public async Task Explicit_permission_gives_access_capped_by_the_tokens_repo_scope()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        (await Put("/api/v1/repository/acme/app/permissions/user/carol", AliceToken, new { role = "admin" })).AssertStatus(200);
        var repo = (await Get("/api/v1/repository/acme/app", CarolToken)).AssertStatus(200).Object;
        Assert.False((bool)repo["can_write"]!);
        Assert.False((bool)repo["can_admin"]!);
        (await Delete("/api/v1/repository/acme/app", CarolToken)).AssertForbidden();
    }

    [Fact]
    public async Task Org_admin_with_only_repo_scopes_has_namespace_wide_repo_access()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        var repoAdminOnly = Quay.AddToken("alice", QuayScopes.RepoAdmin);
        (await Get("/api/v1/repository/acme/ghost", repoAdminOnly)).AssertProblem(404, "not_found");
        (await Delete("/api/v1/repository/acme/app", repoAdminOnly)).AssertStatus(204);
    }

    [Fact]
    public async Task Delete_is_204_also_for_a_missing_repo_and_the_name_is_reusable_at_once()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        (await Delete("/api/v1/repository/acme/app", AliceToken)).AssertStatus(204);
        (await Delete("/api/v1/repository/acme/app", AliceToken)).AssertStatus(204);
        (await Get("/api/v1/repository/acme/app", AliceToken)).AssertProblem(404, "not_found");
        await CreateRepo("acme", "app");
    }

    [Fact]
    public async Task Delete_by_a_non_admin_is_403_even_when_missing()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        (await Delete("/api/v1/repository/acme/app", BobToken)).AssertForbidden();
        (await Delete("/api/v1/repository/acme/ghost", BobToken)).AssertForbidden();
        Assert.NotNull(Quay.State.Repository("acme", "app"));
    }

    [Fact]
    public async Task List_by_namespace_shows_what_the_caller_can_read()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "secret");
        await CreateRepo("acme", "open", visibility: "public");
        var mine = (await Get("/api/v1/repository?namespace=acme", AliceToken)).AssertStatus(200).Object["repositories"]!.AsArray();
        Assert.Equal(["open", "secret"], mine.Select(r => (string)r!["name"]!).Order());
        var theirs = (await Get("/api/v1/repository?namespace=acme", BobToken)).AssertStatus(200).Object["repositories"]!.AsArray();
        Assert.Equal("open", (string?)Assert.Single(theirs)!["name"]);
        Assert.Equal("open", (string?)Assert.Single((await Get("/api/v1/repository?public=true")).Object["repositories"]!.AsArray())!["name"]);
    }

    [Fact]
    public async Task List_without_a_filter_is_400()
    {
        // Assumption: Quay's RepositoryList refuses an unfiltered listing with InvalidRequest.
        (await Get("/api/v1/repository", AliceToken)).AssertProblem(400, "invalid_request");
    }
}
