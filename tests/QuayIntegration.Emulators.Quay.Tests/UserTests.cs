using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>GET /api/v1/user/ (docs/quay-api.md, "Endpoint details").</summary>
public sealed class UserTests : EmulatorTest
{
    [Fact]
    public async Task User_admin_token_sees_the_full_view()
    {
        await CreateOrg("acme");
        var user = (await Get("/api/v1/user/", AliceToken)).AssertStatus(200).Object;
        Assert.False((bool)user["anonymous"]!);
        Assert.Equal("alice", (string?)user["username"]);
        Assert.Equal("user", (string?)user["avatar"]!["kind"]);
        Assert.True((bool)user["can_create_repo"]!);
        Assert.True((bool)user["is_me"]!);
        Assert.Equal("alice@example.com", (string?)user["email"]);
        Assert.False(user.ContainsKey("super_user"));
        var org = Assert.Single(user["organizations"]!.AsArray())!;
        Assert.Equal("acme", (string?)org["name"]);
        Assert.True((bool)org["is_org_admin"]!);
    }

    [Fact]
    public async Task Superuser_flag_only_for_superusers()
    {
        var user = (await Get("/api/v1/user/", AdminToken)).AssertStatus(200).Object;
        Assert.True((bool)user["super_user"]!);
    }

    [Fact]
    public async Task User_read_only_token_gets_the_short_view()
    {
        var token = Quay.AddToken("alice", QuayScopes.UserRead);
        var user = (await Get("/api/v1/user/", token)).AssertStatus(200).Object;
        Assert.Equal("alice", (string?)user["username"]);
        Assert.False(user.ContainsKey("email"));
        Assert.False(user.ContainsKey("is_me"));
    }

    [Fact]
    public async Task Anonymous_is_401_with_session_required_false()
    {
        var reply = (await Get("/api/v1/user/")).AssertUnauthenticated();
        Assert.False((bool)reply.Object["session_required"]!);
    }

    [Fact]
    public async Task Token_without_user_scopes_is_401_not_403()
    {
        var reply = (await Get("/api/v1/user/", CarolToken)).AssertUnauthenticated();
        Assert.False((bool)reply.Object["session_required"]!);
    }

    [Fact]
    public async Task Success_bodies_end_with_a_newline()
    {
        var reply = (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
        Assert.EndsWith("}\n", reply.Body);
    }
}

/// <summary>GET /api/v1/discovery (docs/quay-api.md, "Endpoint details").</summary>
public sealed class DiscoveryTests : EmulatorTest
{
    [Fact]
    public async Task Anonymous_gets_a_swagger_document_with_operation_ids_and_scopes()
    {
        var doc = (await Get("/api/v1/discovery")).AssertStatus(200).Object;
        Assert.Equal("2.0", (string?)doc["swagger"]);
        Assert.Equal("/", (string?)doc["basePath"]);
        Assert.Equal("oauth2", (string?)doc["securityDefinitions"]!["oauth2_implicit"]!["type"]);
        var robot = doc["paths"]!["/api/v1/organization/{orgname}/robots/{robot_shortname}"]!;
        Assert.Equal("getOrgRobot", (string?)robot["get"]!["operationId"]);
        Assert.Equal("createOrgRobot", (string?)robot["put"]!["operationId"]);
        Assert.Equal("org:admin", (string?)robot["get"]!["security"]![0]!["oauth2_implicit"]![0]);
        Assert.Equal(["orgname", "robot_shortname"], robot["get"]!["parameters"]!.AsArray().Select(p => (string)p!["name"]!));
        Assert.NotNull(doc["paths"]!["/api/v1/user/"]);
        Assert.Null(doc["paths"]!["/v2/"]);
    }
}
