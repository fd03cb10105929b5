namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Quay's global switches (docs/quay-api.md, "Authentication, CSRF and scopes", "Global switches") and expired tokens.</summary>
public sealed class GlobalSettingsTests : EmulatorTest
{
    [Fact]
    public async Task Expired_token_is_treated_as_anonymous()
    {
        await CreateOrg("acme");
        var expired = Quay.AddToken("alice", OperatorScopes, expiresAt: DateTimeOffset.UtcNow.AddSeconds(-1));
        Assert.False((bool)(await Get("/api/v1/organization/acme", expired)).AssertStatus(200).Object["is_admin"]!);
        (await Get("/api/v1/user/", expired)).AssertUnauthenticated();
        (await Delete("/api/v1/organization/acme", expired)).AssertCsrf();
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized,
            (await new RegistryPusher(Client()).Login("$oauthtoken", expired, "repository:acme/app:pull")).Status);
    }

    [Fact]
    public async Task Token_with_a_future_expiry_works()
    {
        var token = Quay.AddToken("alice", OperatorScopes, expiresAt: DateTimeOffset.UtcNow.AddHours(1));
        (await Get("/api/v1/user/", token)).AssertStatus(200);
    }

    [Fact]
    public async Task Without_anonymous_access_anonymous_calls_are_401_html_error()
    {
        await CreateOrg("acme");
        Quay.AnonymousAccess = false;
        (await Get("/api/v1/organization/acme")).AssertHtmlError(401, "Anonymous access is not allowed");
        (await Get("/api/v1/organization/acme", UnknownToken)).AssertHtmlError(401, "Anonymous access is not allowed");
        // Writes still meet the CSRF check first.
        (await Delete("/api/v1/organization/acme")).AssertCsrf();
        (await Get("/api/v1/organization/acme", BobToken)).AssertStatus(200);
        // Assumption: discovery is @anon_allowed, so it stays open.
        (await Get("/api/v1/discovery")).AssertStatus(200);
    }

    [Fact]
    public async Task Read_only_mode_refuses_writes_with_503_and_keeps_reads()
    {
        await CreateOrg("acme");
        Quay.ReadOnly = true;
        var reply = (await Post("/api/v1/organization/", AliceToken, new { name = "other" })).AssertStatus(503);
        Assert.Equal("application/json", reply.MediaType);
        Assert.True((bool)reply.Object["is_readonly"]!);
        Assert.StartsWith("System is currently read-only.", (string?)reply.Object["message"]);
        (await Delete("/api/v1/organization/acme", AliceToken)).AssertStatus(503);
        (await Get("/api/v1/organization/acme", AliceToken)).AssertStatus(200);
        Quay.ReadOnly = false;
        await CreateOrg("other");
    }
}
