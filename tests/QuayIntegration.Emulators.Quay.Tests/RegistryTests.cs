using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Docker Registry v2 with token auth, as docs/ARCHITECTURE.md describes it.</summary>
public sealed class RegistryTests : EmulatorTest
{
    private RegistryPusher Registry => new(Client());

    private async Task<string> SetupRobot(string role = "write")
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        var robot = await CreateRobot("acme", "builder");
        if (role != "none") (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role })).AssertStatus(200);
        return (string)robot["token"]!;
    }

    [Fact]
    public async Task Base_endpoint_challenges_without_a_token_and_answers_with_one()
    {
        var registry = Registry;
        using var challenge = await registry.Send(HttpMethod.Get, null, "/v2/");
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        var header = Assert.Single(challenge.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", header.Scheme);
        Assert.Equal($"realm=\"{Quay.BaseUrl}/v2/auth\",service=\"{Quay.RegistryHost}\"", header.Parameter);
        Assert.Equal("UNAUTHORIZED", (string?)JsonNode.Parse(await challenge.Content.ReadAsStringAsync())!["errors"]![0]!["code"]);

        // An authenticated login with an empty scope (docker login's token request) gets a token with no access.
        var (_, token) = await registry.Login("$oauthtoken", AliceToken, "");
        using var ok = await registry.Send(HttpMethod.Get, token, "/v2/");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("{}\n", await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Robot_with_write_permission_pushes_and_the_tag_shows_in_the_v1_api()
    {
        var robotToken = await SetupRobot();
        var digest = await Registry.Push("acme+builder", robotToken, "acme/app", "v1", "one");
        Assert.StartsWith("sha256:", digest);

        var tags = (await Get("/api/v1/repository/acme/app/tag/", AliceToken)).AssertStatus(200).Object;
        var tag = Assert.Single(tags["tags"]!.AsArray())!;
        Assert.Equal("v1", (string?)tag["name"]);
        Assert.Equal(digest, (string?)tag["manifest_digest"]);
        Assert.False((bool)tag["is_manifest_list"]!);
        Assert.True((long)tag["size"]! > 0);
        Assert.Equal(digest, (string?)(await Get("/api/v1/repository/acme/app", AliceToken)).Object["tags"]!["v1"]!["manifest_digest"]);
        Assert.NotNull(Quay.State.Organization("acme")!.Robots.Single().LastAccessed);
    }

    [Fact]
    public async Task Head_and_get_manifest_with_pull_permission_by_tag_and_digest()
    {
        var robotToken = await SetupRobot();
        var digest = await Registry.Push("acme+builder", robotToken, "acme/app", "latest", "one");
        var registry = Registry;
        var pull = await registry.LoginOrFail("acme+builder", robotToken, "acme/app", "pull");
        foreach (var reference in new[] { "latest", digest })
        {
            using var head = await registry.Send(HttpMethod.Head, pull, $"/v2/acme/app/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(digest, head.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(RegistryPusher.ManifestMediaType, head.Content.Headers.ContentType!.MediaType);
        }
        using var get = await registry.Send(HttpMethod.Get, pull, "/v2/acme/app/manifests/latest");
        Assert.Equal(digest, RegistryPusher.Digest(await get.Content.ReadAsByteArrayAsync()));
        using var missing = await registry.Send(HttpMethod.Head, pull, "/v2/acme/app/manifests/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Robot_without_permission_gets_no_grant_and_push_is_401()
    {
        var robotToken = await SetupRobot(role: "none");
        var registry = Registry;
        var token = await registry.LoginOrFail("acme+builder", robotToken, "acme/app");
        var (manifest, config, _) = RegistryPusher.Image("x");
        using var blob = await registry.UploadBlob(token, "acme/app", config);
        Assert.Equal(HttpStatusCode.Unauthorized, blob.StatusCode);
        Assert.Contains("scope=\"repository:acme/app:push,pull\"", blob.Headers.WwwAuthenticate.Single().Parameter);
        using var put = await registry.PutManifest(token, "acme/app", "v1", manifest);
        Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        Assert.Equal("UNAUTHORIZED", (string?)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["errors"]![0]!["code"]);
        using var head = await registry.Send(HttpMethod.Head, token, "/v2/acme/app/manifests/v1");
        Assert.Equal(HttpStatusCode.Unauthorized, head.StatusCode);
    }

    [Fact]
    public async Task Read_permission_allows_pull_but_not_push()
    {
        var robotToken = await SetupRobot(role: "read");
        var registry = Registry;
        var token = await registry.LoginOrFail("acme+builder", robotToken, "acme/app");
        var (_, config, _) = RegistryPusher.Image("x");
        using var blob = await registry.UploadBlob(token, "acme/app", config);
        Assert.Equal(HttpStatusCode.Unauthorized, blob.StatusCode);
        using var head = await registry.Send(HttpMethod.Head, token, "/v2/acme/app/manifests/v1");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task Default_permission_applied_at_repo_creation_lets_the_robot_push()
    {
        await CreateOrg("acme");
        var robot = await CreateRobot("acme", "builder");
        await AddPrototype("acme", "write", "acme+builder");
        await CreateRepo("acme", "app");
        await Registry.Push("acme+builder", (string)robot["token"]!, "acme/app", "v1", "one");
    }

    [Fact]
    public async Task Robot_in_the_owners_team_may_push_and_even_create_the_repository()
    {
        await CreateOrg("acme");
        var robot = await CreateRobot("acme", "builder");
        Quay.AddTeamMember("acme", "owners", TeamRole.Admin, "acme+builder");
        await Registry.Push("acme+builder", (string)robot["token"]!, "acme/fresh", "v1", "one");
        Assert.NotNull(Quay.State.Repository("acme", "fresh"));
    }

    [Fact]
    public async Task Oauth_token_login_keeps_its_scope_caps()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        var registry = Registry;
        await registry.Push("$oauthtoken", AliceToken, "acme/app", "v1", "one");
        (await Put("/api/v1/repository/acme/app/permissions/user/carol", AliceToken, new { role = "admin" })).AssertStatus(200);
        var carol = await registry.LoginOrFail("$oauthtoken", CarolToken, "acme/app");
        var (_, config, _) = RegistryPusher.Image("x");
        using var blob = await registry.UploadBlob(carol, "acme/app", config);
        Assert.Equal(HttpStatusCode.Unauthorized, blob.StatusCode);
        using var head = await registry.Send(HttpMethod.Head, carol, "/v2/acme/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task Bad_credentials_are_401_at_the_token_endpoint()
    {
        await SetupRobot();
        var registry = Registry;
        Assert.Equal(HttpStatusCode.Unauthorized, (await registry.Login("acme+builder", "WRONG", "repository:acme/app:pull")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await registry.Login("$oauthtoken", UnknownToken, "repository:acme/app:pull")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await registry.Login("alice", "password", "repository:acme/app:pull")).Status);
    }

    [Fact]
    public async Task Regenerated_or_deleted_robot_tokens_stop_working()
    {
        var robotToken = await SetupRobot();
        (await Post("/api/v1/organization/acme/robots/builder/regenerate", AliceToken, null)).AssertStatus(200);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Registry.Login("acme+builder", robotToken, "repository:acme/app:pull")).Status);
    }

    [Fact]
    public async Task Anonymous_may_pull_public_repositories_only()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "open", visibility: "public");
        await CreateRepo("acme", "secret");
        await Registry.Push("$oauthtoken", AliceToken, "acme/open", "v1", "one");
        var registry = Registry;
        var anonymous = await registry.LoginOrFail(null, null, "acme/open", "pull");
        using (var head = await registry.Send(HttpMethod.Head, anonymous, "/v2/acme/open/manifests/v1")) Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        var secret = await registry.LoginOrFail(null, null, "acme/secret", "pull");
        using (var head = await registry.Send(HttpMethod.Head, secret, "/v2/acme/secret/manifests/v1")) Assert.Equal(HttpStatusCode.Unauthorized, head.StatusCode);
    }

    [Fact]
    public async Task Manifest_referencing_an_unknown_blob_is_manifest_blob_unknown()
    {
        var robotToken = await SetupRobot();
        var registry = Registry;
        var token = await registry.LoginOrFail("acme+builder", robotToken, "acme/app");
        var (manifest, config, _) = RegistryPusher.Image("x");
        using (var blob = await registry.UploadBlob(token, "acme/app", config)) Assert.Equal(HttpStatusCode.Created, blob.StatusCode);
        using var put = await registry.PutManifest(token, "acme/app", "v1", manifest);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", (string?)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["errors"]![0]!["code"]);
    }

    [Fact]
    public async Task Blob_digest_mismatch_is_digest_invalid_and_blob_head_reports_presence()
    {
        var robotToken = await SetupRobot();
        var registry = Registry;
        var token = await registry.LoginOrFail("acme+builder", robotToken, "acme/app");
        var content = "hello"u8.ToArray();
        using (var bad = await registry.UploadBlob(token, "acme/app", content, RegistryPusher.Digest("other"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("DIGEST_INVALID", await bad.Content.ReadAsStringAsync());
        }
        var digest = RegistryPusher.Digest(content);
        using (var absent = await registry.Send(HttpMethod.Head, token, $"/v2/acme/app/blobs/{digest}")) Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        using (var good = await registry.UploadBlob(token, "acme/app", content))
        {
            Assert.Equal(HttpStatusCode.Created, good.StatusCode);
            Assert.Equal(digest, good.Headers.GetValues("Docker-Content-Digest").Single());
        }
        using var present = await registry.Send(HttpMethod.Get, token, $"/v2/acme/app/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, present.StatusCode);
        Assert.Equal("hello", await present.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Chunked_upload_session_completes_with_put()
    {
        var robotToken = await SetupRobot();
        var http = Client();
        var registry = new RegistryPusher(http);
        var token = await registry.LoginOrFail("acme+builder", robotToken, "acme/app");
        using var start = new HttpRequestMessage(HttpMethod.Post, "v2/acme/app/blobs/uploads/");
        start.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var started = await http.SendAsync(start);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();

        using var patch = new HttpRequestMessage(HttpMethod.Patch, location.TrimStart('/')) { Content = new ByteArrayContent("part1-"u8.ToArray()) };
        patch.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using (var patched = await http.SendAsync(patch)) Assert.Equal(HttpStatusCode.Accepted, patched.StatusCode);

        var digest = RegistryPusher.Digest(Encoding.UTF8.GetBytes("part1-part2"));
        using var put = new HttpRequestMessage(HttpMethod.Put, location.TrimStart('/') + "?digest=" + Uri.EscapeDataString(digest)) { Content = new ByteArrayContent("part2"u8.ToArray()) };
        put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var finished = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.Created, finished.StatusCode);
        using var head = await registry.Send(HttpMethod.Get, token, $"/v2/acme/app/blobs/{digest}");
        Assert.Equal("part1-part2", await head.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Registry_routes_are_counted_by_template()
    {
        var robotToken = await SetupRobot();
        await Registry.Push("acme+builder", robotToken, "acme/app", "v1", "one");
        Assert.Equal(1, Quay.Calls.Count("PUT", "/v2/{repository}/manifests/{reference}", 201));
        Assert.Equal(2, Quay.Calls.Count("POST", "/v2/{repository}/blobs/uploads/", 201));
    }
}
