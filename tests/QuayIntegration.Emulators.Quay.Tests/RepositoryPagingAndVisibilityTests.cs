namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>
/// endpoints/api/repository.py: RepositoryList.get pages by REPOS_PER_PAGE (100) with page_support's
/// <c>next_page</c> (endpoints/api/__init__.py), RepositoryVisibility.post (<c>changevisibility</c>) and Repository.put
/// (the description).
/// </summary>
public sealed class RepositoryPagingAndVisibilityTests : EmulatorTest
{
    [Fact]
    public async Task Repository_lists_page_by_100_with_next_page()
    {
        await CreateOrg("acme");
        for (var i = 0; i < 101; i++) await CreateRepo("acme", $"r{i:D3}");

        var first = (await Get("/api/v1/repository?namespace=acme", AliceToken)).AssertStatus(200).Object;
        Assert.Equal(100, first["repositories"]!.AsArray().Count);
        var token = (string?)first["next_page"];
        Assert.False(string.IsNullOrEmpty(token));
        var second = (await Get($"/api/v1/repository?namespace=acme&next_page={Uri.EscapeDataString(token!)}", AliceToken)).AssertStatus(200).Object;
        Assert.Equal(["r100"], second["repositories"]!.AsArray().Select(r => (string)r!["name"]!));
        Assert.Null(second["next_page"]);
        var names = first["repositories"]!.AsArray().Concat(second["repositories"]!.AsArray()).Select(r => (string)r!["name"]!).ToList();
        Assert.Equal(101, names.Distinct().Count());

        // Exactly a page's worth has no next page.
        await CreateOrg("small");
        await CreateRepo("small", "only");
        Assert.Null((await Get("/api/v1/repository?namespace=small", AliceToken)).AssertStatus(200).Object["next_page"]);
    }

    [Fact]
    public async Task Change_visibility_needs_repository_admin_then_a_valid_body_then_an_existing_repository()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        (await Post("/api/v1/repository/acme/app/changevisibility", BobToken, new { visibility = "public" })).AssertProblem(403, "insufficient_scope");
        // Permission is checked before the body (require_repo_admin wraps validate_json_request).
        (await Post("/api/v1/repository/acme/app/changevisibility", BobToken, new { visibility = "sideways" })).AssertProblem(403, "insufficient_scope");
        (await Post("/api/v1/repository/acme/app/changevisibility", AliceToken, new { visibility = "sideways" })).AssertProblem(400, "invalid_request");
        (await Post("/api/v1/repository/acme/nope/changevisibility", AliceToken, new { visibility = "public" })).AssertProblem(404, "not_found");

        var reply = (await Post("/api/v1/repository/acme/app/changevisibility", AliceToken, new { visibility = "public" })).AssertStatus(200);
        Assert.Equal("{\"success\":true}\n", reply.Body);
        Assert.True((bool)(await Get("/api/v1/repository/acme/app", AliceToken)).AssertStatus(200).Object["is_public"]!);
        // Public now: anyone may read it.
        Assert.Equal(200, (await Get("/api/v1/repository/acme/app", BobToken)).Code);
        (await Post("/api/v1/repository/acme/app/changevisibility", AliceToken, new { visibility = "private" })).AssertStatus(200);
        Assert.Equal(403, (await Get("/api/v1/repository/acme/app", BobToken)).Code);
    }

    [Fact]
    public async Task Update_repository_needs_write_then_a_description_then_an_existing_repository()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        (await Put("/api/v1/repository/acme/app", BobToken, new { description = "mine" })).AssertProblem(403, "insufficient_scope");
        // Permission is checked before the body (require_repo_write wraps validate_json_request).
        (await Put("/api/v1/repository/acme/app", BobToken, new { summary = "x" })).AssertProblem(403, "insufficient_scope");
        (await Put("/api/v1/repository/acme/app", AliceToken, new { summary = "x" })).AssertProblem(400, "invalid_request");
        (await Put("/api/v1/repository/acme/app", AliceToken, new { description = 7 })).AssertProblem(400, "invalid_request");
        (await Put("/api/v1/repository/acme/nope", AliceToken, new { description = "x" })).AssertProblem(404, "not_found");

        var reply = (await Put("/api/v1/repository/acme/app", AliceToken, new { description = "# app\n\nours" })).AssertStatus(200);
        Assert.Equal("{\"success\":true}\n", reply.Body);
        Assert.Equal("# app\n\nours", (string?)(await Get("/api/v1/repository/acme/app", AliceToken)).AssertStatus(200).Object["description"]);
    }
}
