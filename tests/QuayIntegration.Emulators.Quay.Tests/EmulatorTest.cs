using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>
/// Every test gets its own emulator (start-up is a few milliseconds), talking to it over real HTTPS. The standard cast:
/// <list type="bullet">
/// <item><c>admin</c>: superuser, token with every scope (superusers have no full access unless a test turns it on);</item>
/// <item><c>alice</c>: the operator's token (<c>org:admin repo:admin repo:create user:admin user:read</c>);</item>
/// <item><c>bob</c>: another user with the same scopes, who administers nothing of alice's;</item>
/// <item><c>carol</c>: a user whose token only has <c>repo:read</c>.</item>
/// </list>
/// After each test, no request may have escaped as an unexpected exception.
/// </summary>
public abstract class EmulatorTest : IAsyncLifetime
{
    public const string AdminToken = "admin-token";
    public const string AliceToken = "alice-token";
    public const string BobToken = "bob-token";
    public const string CarolToken = "carol-token";
    public const string UnknownToken = "no-such-token";

    public static readonly QuayScopes OperatorScopes =
        QuayScopes.OrgAdmin | QuayScopes.RepoAdmin | QuayScopes.RepoCreate | QuayScopes.UserAdmin | QuayScopes.UserRead;

    protected QuayEmulator Quay { get; private set; } = null!;
    private readonly List<HttpClient> _clients = [];

    protected virtual void Configure(QuayEmulatorOptions options) { }

    public async Task InitializeAsync()
    {
        var options = new QuayEmulatorOptions()
            .WithUserToken("admin", AdminToken, QuayScopes.All, superuser: true)
            .WithUserToken("alice", AliceToken, OperatorScopes)
            .WithUserToken("bob", BobToken, OperatorScopes)
            .WithUserToken("carol", CarolToken, QuayScopes.RepoRead);
        Configure(options);
        Quay = await QuayEmulator.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        lock (_clients) foreach (var client in _clients) client.Dispose();
        var unexpected = Quay.UnexpectedExceptions.ToList();
        await Quay.DisposeAsync();
        Assert.Empty(unexpected);
    }

    private HttpClient? _plain;
    private HttpClient? _redirecting;

    /// <summary>A token-less client, shared within the test so connections (and TLS sessions) are reused.</summary>
    protected HttpClient Client(bool allowAutoRedirect = false)
    {
        lock (_clients)
        {
            ref var cached = ref allowAutoRedirect ? ref _redirecting : ref _plain;
            if (cached is null)
            {
                cached = Quay.CreateHttpClient(token: null, allowAutoRedirect);
                _clients.Add(cached);
            }
            return cached;
        }
    }

    /// <summary>A client that sends <paramref name="token"/>, disposed with the test.</summary>
    protected HttpClient Client(string token)
    {
        var client = Quay.CreateHttpClient(token);
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>Sends a request; <paramref name="json"/> (if any) is serialised with Content-Type application/json.</summary>
    protected async Task<Reply> Send(HttpMethod method, string path, string? token = null, object? json = null,
        string? rawBody = null, string? contentType = null, bool allowAutoRedirect = false)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            var text = json is JsonNode node ? node.ToJsonString() : System.Text.Json.JsonSerializer.Serialize(json);
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }
        else if (rawBody is not null)
        {
            request.Content = new StringContent(rawBody, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }
        using var response = await Client(allowAutoRedirect).SendAsync(request);
        return await Reply.ReadAsync(response);
    }

    protected Task<Reply> Get(string path, string? token = null) => Send(HttpMethod.Get, path, token);
    protected Task<Reply> Delete(string path, string? token = null) => Send(HttpMethod.Delete, path, token);
    protected Task<Reply> Post(string path, string? token, object? json) => Send(HttpMethod.Post, path, token, json);
    protected Task<Reply> Put(string path, string? token, object? json) => Send(HttpMethod.Put, path, token, json);

    // Small builders for the usual setup steps; each asserts its own success so a broken setup fails loudly.

    protected async Task CreateOrg(string name, string token = AliceToken) =>
        (await Post("/api/v1/organization/", token, new { name })).AssertStatus(201);

    protected async Task<JsonObject> CreateRobot(string org, string shortName, string token = AliceToken) =>
        (await Put($"/api/v1/organization/{org}/robots/{shortName}", token, new { description = "test robot" })).AssertStatus(201).Object;

    protected async Task CreateRepo(string ns, string name, string token = AliceToken, string visibility = "private") =>
        (await Post("/api/v1/repository", token, new { @namespace = ns, repository = name, visibility, description = "" })).AssertStatus(201);

    protected async Task<JsonObject> AddPrototype(string org, string role, string delegateName, string kind = "user", string? activatingUser = null, string token = AliceToken)
    {
        var body = new JsonObject { ["role"] = role, ["delegate"] = new JsonObject { ["kind"] = kind, ["name"] = delegateName } };
        if (activatingUser is not null) body["activating_user"] = new JsonObject { ["name"] = activatingUser };
        return (await Post($"/api/v1/organization/{org}/prototypes", token, body)).AssertStatus(200).Object;
    }
}

/// <summary>A buffered answer with assertions for Quay's body shapes (docs/quay-api.md, "Error shapes").</summary>
public sealed class Reply
{
    public required HttpStatusCode Status { get; init; }
    public required string Body { get; init; }
    public string? MediaType { get; init; }
    public string? ContentType { get; init; }
    public required HttpResponseHeaders Headers { get; init; }
    public required HttpContentHeaders ContentHeaders { get; init; }

    public int Code => (int)Status;
    public JsonNode? Json => JsonNode.Parse(Body);
    public JsonObject Object => Json!.AsObject();

    public static async Task<Reply> ReadAsync(HttpResponseMessage response) => new()
    {
        Status = response.StatusCode,
        Body = await response.Content.ReadAsStringAsync(),
        MediaType = response.Content.Headers.ContentType?.MediaType,
        ContentType = response.Content.Headers.ContentType?.ToString(),
        Headers = response.Headers,
        ContentHeaders = response.Content.Headers,
    };

    public Reply AssertStatus(int status)
    {
        Assert.True(Code == status, $"expected {status}, got {Code}: {Body}");
        return this;
    }

    /// <summary>Shape A: <c>{detail, error_message, error_type, title, type, status}</c>, application/json.</summary>
    public Reply AssertProblem(int status, string errorType, string? detail = null)
    {
        AssertStatus(status);
        Assert.Equal("application/json", MediaType);
        var body = Object;
        Assert.Equal(errorType, (string?)body["error_type"]);
        Assert.Equal(errorType, (string?)body["title"]);
        Assert.EndsWith("/api/v1/error/" + errorType, (string?)body["type"]);
        Assert.StartsWith("http", (string?)body["type"]);
        Assert.Equal(status, (int?)body["status"]);
        if (detail is not null)
        {
            Assert.Equal(detail, (string?)body["detail"]);
            Assert.Equal(detail, (string?)body["error_message"]);
        }
        return this;
    }

    public Reply AssertProblemStartsWith(int status, string errorType, string detailPrefix)
    {
        AssertProblem(status, errorType);
        Assert.StartsWith(detailPrefix, (string?)Object["detail"]);
        return this;
    }

    /// <summary>Shape B: <c>{"message": ...}</c>, application/json.</summary>
    public Reply AssertMessage(int status, string? message = null)
    {
        AssertStatus(status);
        Assert.Equal("application/json", MediaType);
        Assert.Single(Object);
        if (message is not null) Assert.Equal(message, (string?)Object["message"]);
        else Assert.NotNull((string?)Object["message"]);
        return this;
    }

    /// <summary>Shape C: <c>{"error": ...}</c> served as text/html; charset=utf-8.</summary>
    public Reply AssertHtmlError(int status, string error)
    {
        AssertStatus(status);
        Assert.Equal("text/html; charset=utf-8", ContentType);
        Assert.Equal(error, (string?)Object["error"]);
        return this;
    }

    public Reply AssertCsrf() => AssertHtmlError(403, "CSRF token was invalid or missing.");

    /// <summary>perm-fail with a user: 403 (A) insufficient_scope.</summary>
    public Reply AssertForbidden() => AssertProblem(403, "insufficient_scope", "Unauthorized");

    /// <summary>perm-fail without a user: 401 (A) invalid_token.</summary>
    public Reply AssertUnauthenticated() => AssertProblem(401, "invalid_token", "Requires authentication");
}
