namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Werkzeug strict slashes, 405, and the web catch-all (docs/quay-api.md, "Routing and trailing slashes", checklist 9).</summary>
public sealed class RoutingTests : EmulatorTest
{
    [Theory]
    [InlineData("GET", "/api/v1/user")]
    [InlineData("POST", "/api/v1/organization")]
    public async Task Slash_routes_without_their_slash_redirect_308_to_the_absolute_slash_form(string method, string path)
    {
        var reply = (await Send(new HttpMethod(method), path, AliceToken)).AssertStatus(308);
        Assert.Equal(Quay.BaseUrl + path + "/", reply.Headers.Location!.ToString());
    }

    [Theory]
    [InlineData("/api/v1/repository/acme/app/tag")]
    [InlineData("/api/v1/repository/acme/app/permissions/user")]
    public async Task Tag_and_user_permission_lists_without_slash_redirect_like_the_other_slash_rules(string path)
    {
        // Werkzeug weighs rules by their static parts, so ".../tag" is the tag rule without its slash (308), not the
        // repository rule with the extended name "app/tag" (docs/quay-api.md, "Routing and trailing slashes").
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        var reply = (await Get(path, AliceToken)).AssertStatus(308);
        Assert.Equal(Quay.BaseUrl + path + "/", reply.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Redirect_keeps_the_query_string()
    {
        var reply = (await Send(HttpMethod.Get, "/api/v1/user?x=1", AliceToken)).AssertStatus(308);
        Assert.Equal(Quay.BaseUrl + "/api/v1/user/?x=1", reply.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Following_the_308_with_the_same_method_and_body_reaches_the_endpoint()
    {
        // The real operator calls GET /api/v1/user and its Go client re-sends method, body and Authorization to the
        // same host. .NET drops Authorization on redirects, so the test follows the Location itself.
        var redirect = (await Send(HttpMethod.Post, "/api/v1/organization", AliceToken, json: new { name = "acme" })).AssertStatus(308);
        var location = redirect.Headers.Location!.ToString();
        (await Send(HttpMethod.Post, location[Quay.BaseUrl.Length..], AliceToken, json: new { name = "acme" })).AssertStatus(201);
        Assert.NotNull(Quay.State.Organization("acme"));
        // The redirect itself happens before auth: an anonymous caller is redirected too, not refused.
        (await Send(HttpMethod.Post, "/api/v1/organization", token: null, json: new { name = "x" })).AssertStatus(308);
    }

    [Fact]
    public async Task Wrong_method_on_a_redirecting_path_is_405_not_308()
    {
        // Assumption (docs/quay-api.md is silent): Werkzeug reports 405 when the slash rule exists but not for this method.
        (await Send(HttpMethod.Get, "/api/v1/organization", AliceToken)).AssertMessage(405);
    }

    [Theory]
    [InlineData("/api/v1/organization/acme/")]
    [InlineData("/api/v1/organization/acme/robots/")]
    [InlineData("/api/v1/repository/acme/app/")]
    [InlineData("/api/v1/nothing-here")]
    [InlineData("/")]
    public async Task Paths_that_miss_the_api_get_the_html_404_of_the_web_catch_all(string path)
    {
        await CreateOrg("acme");
        var reply = (await Get(path, AliceToken)).AssertStatus(404);
        Assert.Equal("text/html", reply.MediaType);
        Assert.Contains("<html", reply.Body);
    }

    [Theory]
    [InlineData("PATCH", "/api/v1/organization/acme")]
    [InlineData("POST", "/api/v1/organization/acme/robots/bot")]
    [InlineData("DELETE", "/api/v1/user/")]
    [InlineData("GET", "/api/v1/organization/")]
    [InlineData("PUT", "/api/v1/repository")]
    public async Task Wrong_method_on_a_known_route_is_405_message_with_allow(string method, string path)
    {
        var reply = (await Send(new HttpMethod(method), path, AliceToken)).AssertMessage(405, "The method is not allowed for the requested URL.");
        Assert.NotEmpty(reply.ContentHeaders.Allow);
    }

    [Fact]
    public async Task Head_is_served_for_get_routes()
    {
        await CreateOrg("acme");
        var reply = (await Send(HttpMethod.Head, "/api/v1/organization/acme", AliceToken)).AssertStatus(200);
        Assert.Equal("", reply.Body);
    }

    [Fact]
    public async Task Options_answers_the_allowed_methods()
    {
        var reply = (await Send(HttpMethod.Options, "/api/v1/organization/acme/robots/bot")).AssertStatus(200);
        Assert.Contains("PUT", reply.ContentHeaders.Allow);
        Assert.Contains("DELETE", reply.ContentHeaders.Allow);
    }

    [Fact]
    public async Task Extended_repository_names_with_slashes_route_to_the_repository_and_its_tags()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "team/app");
        var repo = (await Get("/api/v1/repository/acme/team/app", AliceToken)).AssertStatus(200).Object;
        Assert.Equal("team/app", (string?)repo["name"]);
        (await Get("/api/v1/repository/acme/team/app/tag/", AliceToken)).AssertStatus(200);
        (await Get("/api/v1/repository/acme/team/app/permissions/user/", AliceToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Plain_http_serves_the_same_api()
    {
        using var client = new HttpClient { BaseAddress = new Uri(Quay.HttpBaseUrl) };
        using var response = await client.GetAsync("/api/v1/user/");
        Assert.Equal(401, (int)response.StatusCode);
    }
}
