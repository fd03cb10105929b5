using System.Net.Http.Json;
using System.Security.Authentication;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>State dump, HTML page, users/tokens/settings over HTTP, and TLS with the emulator's CA.</summary>
public sealed class StateAndControlTests : EmulatorTest
{
    [Fact]
    public async Task State_dump_lists_orgs_robots_prototypes_repos_and_tags()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        await AddPrototype("acme", "write", "acme+builder");
        await CreateRepo("acme", "app");
        await new RegistryPusher(Client()).Push("$oauthtoken", AliceToken, "acme/app", "v1", "one");

        var state = JsonNode.Parse((await Get("/_emulator/state")).AssertStatus(200).Body)!;
        var org = state["organizations"]!.AsArray().Single()!;
        Assert.Equal("acme", (string?)org["name"]);
        Assert.Equal("acme+builder", (string?)org["robots"]![0]!["name"]);
        Assert.Equal("acme+builder", (string?)org["prototypes"]![0]!["delegateName"]);
        var repo = state["repositories"]!.AsArray().Single()!;
        Assert.Equal("write", (string?)repo["userPermissions"]!["acme+builder"]);
        Assert.Equal("v1", (string?)repo["tags"]![0]!["name"]);
    }

    [Fact]
    public async Task Html_page_shows_the_same_objects()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        await CreateRepo("acme", "app");
        var page = (await Get("/_emulator/")).AssertStatus(200);
        Assert.Equal("text/html", page.MediaType);
        Assert.Contains("<td>acme+builder</td>", page.Body);
        Assert.Contains("<td>acme/app</td>", page.Body);
    }

    [Fact]
    public async Task Html_page_escapes_what_it_shows()
    {
        await CreateOrg("acme");
        (await Put("/api/v1/organization/acme/robots/builder", AliceToken, new { description = "<script>x</script>" })).AssertStatus(201);
        var page = (await Get("/_emulator/")).Body;
        Assert.DoesNotContain("<script>", page);
        Assert.Contains("&lt;script&gt;", page);
    }

    [Fact]
    public async Task Users_tokens_settings_and_gc_are_controllable_over_http()
    {
        using var control = new HttpClient { BaseAddress = new Uri(Quay.HttpBaseUrl) };
        using (var user = await control.PostAsJsonAsync("/_emulator/users", new { name = "dave", superuser = false }))
            Assert.Equal(201, (int)user.StatusCode);
        using var tokenReply = await control.PostAsJsonAsync("/_emulator/tokens", new { username = "dave", scopes = "org:admin user:admin repo:create repo:admin", token = "dave-token" });
        Assert.Equal("dave-token", (string?)JsonNode.Parse(await tokenReply.Content.ReadAsStringAsync())!["token"]);
        await CreateOrg("daves", "dave-token");

        using (var settings = await control.PutAsJsonAsync("/_emulator/settings", new { namespaceGcDelaySeconds = 3600 }))
            Assert.Equal(3600, (double)JsonNode.Parse(await settings.Content.ReadAsStringAsync())!["namespaceGcDelaySeconds"]!);
        Assert.Equal(TimeSpan.FromHours(1), Quay.NamespaceGcDelay);
        (await Delete("/api/v1/organization/daves", "dave-token")).AssertStatus(204);
        (await Post("/api/v1/organization/", "dave-token", new { name = "daves" })).AssertProblem(400, "invalid_request", "Username is not available");
        using (await control.PostAsync("/_emulator/gc", null)) { }
        await CreateOrg("daves", "dave-token");

        using var badScope = await control.PostAsJsonAsync("/_emulator/tokens", new { username = "dave", scopes = "org:owner" });
        Assert.Equal(400, (int)badScope.StatusCode);
    }

    [Fact]
    public async Task Ca_is_served_as_pem_and_matches_the_csharp_property()
    {
        var pem = (await Get("/_emulator/ca.pem")).AssertStatus(200).Body;
        Assert.Equal(Quay.CaCertificatePem, pem);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", pem);
        Assert.Equal(Quay.CaCertificate.Thumbprint, System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem).Thumbprint);
    }

    [Fact]
    public async Task Tls_verifies_against_the_ca_and_fails_without_it()
    {
        using var trusting = Quay.CreateHttpClient(AliceToken);
        Assert.Equal(200, (int)(await trusting.GetAsync("api/v1/user/")).StatusCode);

        using var untrusting = new HttpClient { BaseAddress = new Uri(Quay.BaseUrl) };
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/api/v1/user/"));
        Assert.IsType<AuthenticationException>(failure.InnerException);
    }

    [Fact]
    public async Task Server_certificate_names_localhost_too()
    {
        using var client = new HttpClient(Quay.CreateHttpMessageHandler()) { BaseAddress = new Uri(Quay.BaseUrl.Replace("127.0.0.1", "localhost")) };
        Assert.Equal(401, (int)(await client.GetAsync("/api/v1/user/")).StatusCode);
    }

    [Fact]
    public void Registry_host_is_the_https_authority()
    {
        Assert.Equal(new Uri(Quay.BaseUrl).Authority, Quay.RegistryHost);
        Assert.StartsWith("127.0.0.1:", Quay.RegistryHost);
        Assert.StartsWith("http://127.0.0.1:", Quay.HttpBaseUrl);
    }
}
