namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>GET .../tag/ (docs/quay-api.md, "Endpoint details", ListRepositoryTags).</summary>
public sealed class TagTests : EmulatorTest
{
    private async Task<RegistryPusher> Setup()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        return new RegistryPusher(Client());
    }

    [Fact]
    public async Task Repushing_a_tag_keeps_history_unless_only_active_tags()
    {
        var registry = await Setup();
        var first = await registry.Push("$oauthtoken", AliceToken, "acme/app", "latest", "one");
        var second = await registry.Push("$oauthtoken", AliceToken, "acme/app", "latest", "two");

        var all = (await Get("/api/v1/repository/acme/app/tag/", AliceToken)).AssertStatus(200).Object["tags"]!.AsArray();
        Assert.Equal(2, all.Count);
        var ended = all.Single(t => (string?)t!["manifest_digest"] == first)!.AsObject();
        Assert.True(ended.ContainsKey("end_ts"));
        Assert.True(ended.ContainsKey("expiration"));

        var active = (await Get("/api/v1/repository/acme/app/tag/?onlyActiveTags=true", AliceToken)).Object["tags"]!.AsArray();
        var tag = Assert.Single(active)!.AsObject();
        Assert.Equal(second, (string?)tag["manifest_digest"]);
        Assert.False(tag.ContainsKey("end_ts"));
        Assert.False((bool)tag["reversion"]!);
        Assert.True(tag.ContainsKey("start_ts"));
        Assert.True(tag.ContainsKey("last_modified"));
    }

    [Fact]
    public async Task Paging_clamps_limit_and_reports_has_additional()
    {
        var registry = await Setup();
        foreach (var name in new[] { "a", "b", "c" }) await registry.Push("$oauthtoken", AliceToken, "acme/app", name, name);
        var page1 = (await Get("/api/v1/repository/acme/app/tag/?limit=2", AliceToken)).Object;
        Assert.Equal(2, page1["tags"]!.AsArray().Count);
        Assert.True((bool)page1["has_additional"]!);
        Assert.Equal(1, (int)page1["page"]!);
        var page2 = (await Get("/api/v1/repository/acme/app/tag/?limit=2&page=2", AliceToken)).Object;
        Assert.Single(page2["tags"]!.AsArray());
        Assert.False((bool)page2["has_additional"]!);
        Assert.Single((await Get("/api/v1/repository/acme/app/tag/?limit=0", AliceToken)).Object["tags"]!.AsArray());
        Assert.Equal(1, (int)(await Get("/api/v1/repository/acme/app/tag/?page=0", AliceToken)).Object["page"]!);
    }

    [Fact]
    public async Task Filters_by_specific_tag_and_name_expressions()
    {
        var registry = await Setup();
        foreach (var name in new[] { "v1", "v2", "latest" }) await registry.Push("$oauthtoken", AliceToken, "acme/app", name, name);
        Assert.Equal("v2", (string?)Assert.Single((await Get("/api/v1/repository/acme/app/tag/?specificTag=v2", AliceToken)).Object["tags"]!.AsArray())!["name"]);
        Assert.Equal(2, (await Get("/api/v1/repository/acme/app/tag/?filter_tag_name=like:v", AliceToken)).Object["tags"]!.AsArray().Count);
        Assert.Single((await Get("/api/v1/repository/acme/app/tag/?filter_tag_name=eq:latest", AliceToken)).Object["tags"]!.AsArray());
        (await Get("/api/v1/repository/acme/app/tag/?filter_tag_name=v1", AliceToken)).AssertMessage(400);
    }

    [Fact]
    public async Task Missing_repository_is_404_with_namespace_access_else_403_or_401()
    {
        await Setup();
        (await Get("/api/v1/repository/acme/ghost/tag/", AliceToken)).AssertProblem(404, "not_found");
        (await Get("/api/v1/repository/acme/ghost/tag/", BobToken)).AssertForbidden();
        (await Get("/api/v1/repository/acme/app/tag/", BobToken)).AssertForbidden();
        (await Get("/api/v1/repository/acme/app/tag/")).AssertUnauthenticated();
    }
}
