using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>
/// <c>/v2/auth</c> as Quay's endpoints/v2/v2auth.py answers it (errors: endpoints/v2/errors.py; challenge headers:
/// endpoints/v2/__init__.py get_auth_headers; token: util/security/registry_jwt.py), and
/// <c>/v2/&lt;repo&gt;/tags/list</c> as endpoints/v2/tag.py with the v2 paginate decorator.
/// </summary>
public sealed class RegistryTokenTests : EmulatorTest
{
    private async Task<HttpResponseMessage> Auth(string query, string? user = null, string? password = null, string? rawAuthorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v2/auth" + query);
        if (user is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        if (rawAuthorization is not null) request.Headers.TryAddWithoutValidation("Authorization", rawAuthorization);
        return await Client().SendAsync(request);
    }

    private static async Task<JsonObject> ErrorOf(HttpResponseMessage response) =>
        (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!;

    private static JsonObject Claims(string jwt)
    {
        var part = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part += new string('=', (4 - part.Length % 4) % 4);
        return JsonNode.Parse(Convert.FromBase64String(part))!.AsObject();
    }

    private string Challenge => $"realm=\"{Quay.BaseUrl}/v2/auth\",service=\"{Quay.RegistryHost}\"";

    [Fact]
    public async Task A_token_answer_is_only_a_signed_jwt_whose_access_lists_what_was_granted()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        var robot = await CreateRobot("acme", "reader");
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+reader", AliceToken, new { role = "read" })).AssertStatus(200);

        using var response = await Auth("?service=quay.example&scope=repository:acme/app:push,pull", "acme+reader", (string)robot["token"]!);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl is { NoCache: true, NoStore: true, MustRevalidate: true }, response.Headers.CacheControl?.ToString()); // @no_cache
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["token"], body.Select(p => p.Key)); // jsonify({"token": token}); no access_token, expires_in, issued_at
        var jwt = (string)body["token"]!;
        var header = JsonNode.Parse(Convert.FromBase64String(PadBase64(jwt.Split('.')[0])))!;
        Assert.Equal("RS256", (string?)header["alg"]);
        Assert.NotNull((string?)header["kid"]);
        var claims = Claims(jwt);
        Assert.Equal("quay", (string?)claims["iss"]);
        Assert.Equal("quay.example", (string?)claims["aud"]);
        Assert.Equal("acme+reader", (string?)claims["sub"]);
        Assert.Equal(3600, (long)claims["exp"]! - (long)claims["iat"]!);
        Assert.Equal("""[{"type":"repository","name":"acme/app","actions":["pull"]}]""", claims["access"]!.ToJsonString());
    }

    private static string PadBase64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - s.Length % 4) % 4);
    }

    [Fact]
    public async Task Anonymous_without_a_scope_is_401_and_an_empty_scope_needs_credentials()
    {
        using var noScope = await Auth("?service=quay");
        Assert.Equal(HttpStatusCode.Unauthorized, noScope.StatusCode);
        Assert.Equal(Challenge, Assert.Single(noScope.Headers.WwwAuthenticate).Parameter);
        var error = await ErrorOf(noScope);
        Assert.Equal("UNAUTHORIZED", (string?)error["code"]);
        Assert.Equal("access to the requested resource is not authorized", (string?)error["message"]);

        using var emptyScope = await Auth("?service=quay&scope=");
        Assert.Equal(HttpStatusCode.Unauthorized, emptyScope.StatusCode);
        using var authenticated = await Auth("?service=quay&scope=", "$oauthtoken", AliceToken);
        Assert.Equal(HttpStatusCode.OK, authenticated.StatusCode);
        Assert.Equal("[]", Claims((string)JsonNode.Parse(await authenticated.Content.ReadAsStringAsync())!["token"]!)["access"]!.ToJsonString());

        // An anonymous pull of a private repository still gets a token, with no actions.
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        using var anonymous = await Auth("?service=quay&scope=repository:acme/app:pull");
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        var claims = Claims((string)JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!["token"]!);
        Assert.Equal("(anonymous)", (string?)claims["sub"]);
        Assert.Equal("""[{"type":"repository","name":"acme/app","actions":[]}]""", claims["access"]!.ToJsonString());
    }

    [Theory]
    [InlineData("repository:acme/app", "INVALID_REQUEST", "Unable to decode repository and actions: repository:acme/app")]
    [InlineData("repository:acme/app:delete", "INVALID_REQUEST", "Unable to decode repository and actions: repository:acme/app:delete")]
    [InlineData("registry:catalog:*", "INVALID_REQUEST", "Unable to decode repository and actions: registry:catalog:*")]
    [InlineData("repository:acme/app:pull repository:acme/other:pull", "INVALID_REQUEST", "Unable to decode repository and actions: repository:acme/app:pull repository:acme/other:pull")]
    [InlineData("repository:acme/App:pull", "NAME_INVALID", "Invalid repository name: acme/App")]
    public async Task Malformed_scopes_and_invalid_names_are_400(string scope, string code, string message)
    {
        using var response = await Auth("?service=quay&scope=" + Uri.EscapeDataString(scope), "$oauthtoken", AliceToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal(code, (string?)error["code"]);
        Assert.Equal(message, (string?)error["message"]);
        Assert.Equal("{}", error["detail"]!.ToJsonString());
    }

    [Fact]
    public async Task A_scope_prefixed_with_the_registry_host_is_accepted()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        using var response = await Auth($"?service=quay&scope=repository:{Quay.RegistryHost}/acme/app:pull", "$oauthtoken", AliceToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var claims = Claims((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!);
        Assert.Equal($"{Quay.RegistryHost}/acme/app", (string?)claims["access"]![0]!["name"]);
        Assert.Equal("""["pull"]""", claims["access"]![0]!["actions"]!.ToJsonString());
    }

    [Fact]
    public async Task Bad_credentials_are_401_with_the_credential_checks_message_and_the_challenge()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        foreach (var (user, password, message) in new[]
                 {
                     ("acme+builder", "wrong", "Could not find robot with username: acme+builder and supplied password."),
                     ("acme+nobody", "x", "Could not find robot with username: acme+nobody"),
                     ("$oauthtoken", "not-a-token", "Invalid access token"),
                     ("alice", "password", "Invalid Username or Password"),
                 })
        {
            using var response = await Auth("?service=quay&scope=repository:acme/app:pull", user, password);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(Challenge, Assert.Single(response.Headers.WwwAuthenticate).Parameter);
            Assert.Equal("registry/2.0", response.Headers.GetValues("Docker-Distribution-API-Version").Single());
            var error = await ErrorOf(response);
            Assert.Equal("UNAUTHORIZED", (string?)error["code"]);
            Assert.Equal(message, (string?)error["message"]);
        }
    }

    [Fact]
    public async Task Tags_list_names_the_active_tags_in_creation_order_and_pages_with_a_link_header()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        var robot = await CreateRobot("acme", "builder");
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "write" })).AssertStatus(200);
        var registry = new RegistryPusher(Client());
        foreach (var tag in new[] { "v2", "v1", "latest" }) await registry.Push("acme+builder", (string)robot["token"]!, "acme/app", tag, tag);
        var token = await registry.LoginOrFail("acme+builder", (string)robot["token"]!, "acme/app", "pull");

        using (var all = await registry.Send(HttpMethod.Get, token, "/v2/acme/app/tags/list"))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            Assert.Equal("""{"name":"acme/app","tags":["v2","v1","latest"]}""" + "\n", await all.Content.ReadAsStringAsync());
            Assert.False(all.Headers.Contains("Link"));
        }
        string next;
        using (var first = await registry.Send(HttpMethod.Get, token, "/v2/acme/app/tags/list?n=2"))
        {
            Assert.Equal("""{"name":"acme/app","tags":["v2","v1"]}""" + "\n", await first.Content.ReadAsStringAsync());
            var link = first.Headers.GetValues("Link").Single();
            Assert.Matches($"^<{System.Text.RegularExpressions.Regex.Escape(Quay.BaseUrl)}/v2/acme/app/tags/list\\?n=2&next_page=[^>]+>; rel=\"next\"$", link);
            next = link[1..link.IndexOf('>')];
        }
        using (var second = await registry.Send(HttpMethod.Get, token, next[Quay.BaseUrl.Length..]))
            Assert.Equal("""{"name":"acme/app","tags":["latest"]}""" + "\n", await second.Content.ReadAsStringAsync());

        // Without a pull grant: 401 with the pull challenge; a missing repository with one: NAME_UNKNOWN.
        using (var denied = await registry.Send(HttpMethod.Get, null, "/v2/acme/app/tags/list"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            Assert.Equal(Challenge + ",scope=\"repository:acme/app:pull\"", Assert.Single(denied.Headers.WwwAuthenticate).Parameter);
        }
        var aliceToken = await registry.LoginOrFail("$oauthtoken", AliceToken, "acme/gone", "pull");
        using var missing = await registry.Send(HttpMethod.Get, aliceToken, "/v2/acme/gone/tags/list");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("NAME_UNKNOWN", (string?)(await ErrorOf(missing))["code"]);
    }
}
