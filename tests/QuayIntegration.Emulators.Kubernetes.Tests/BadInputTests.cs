using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>Broken requests get Kubernetes Status answers with the right code, never an unhandled exception.</summary>
public sealed class BadInputTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private static void AssertStatus(JsonNode? body, int code, string reason)
    {
        Assert.NotNull(body);
        Assert.Equal("Status", (string?)body["kind"]);
        Assert.Equal("v1", (string?)body["apiVersion"]);
        Assert.Equal("Failure", (string?)body["status"]);
        Assert.Equal(code, (int)body["code"]!);
        Assert.Equal(reason, (string?)body["reason"]);
    }

    [Theory]
    [InlineData("{\"metadata\":", 400, "BadRequest")]
    [InlineData("[1,2]", 400, "BadRequest")]
    [InlineData("{\"apiVersion\":\"v2\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}", 400, "BadRequest")]
    [InlineData("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"a\"}}", 400, "BadRequest")]
    [InlineData("{\"metadata\":{\"name\":\"Not_A_Name\"}}", 422, "Invalid")]
    [InlineData("{\"metadata\":{\"name\":\"a\",\"namespace\":\"elsewhere\"}}", 400, "BadRequest")]
    [InlineData("{\"metadata\":{}}", 422, "Invalid")]
    [InlineData("{\"metadata\":{\"name\":\"a\",\"labels\":{\"bad key!\":\"v\"}}}", 422, "Invalid")]
    [InlineData("{\"metadata\":{\"name\":\"a\"},\"data\":{\"bad/key\":\"v\"}}", 422, "Invalid")]
    [InlineData("{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"12\"}}", 500, "InternalError")]
    // Go's $ matches only at the very end: a trailing newline makes a name, label or key invalid.
    [InlineData("{\"metadata\":{\"name\":\"a\\n\"}}", 422, "Invalid")]
    [InlineData("{\"metadata\":{\"name\":\"a\",\"labels\":{\"k\":\"v\\n\"}}}", 422, "Invalid")]
    [InlineData("{\"metadata\":{\"name\":\"a\",\"labels\":{\"k\\n\":\"v\"}}}", 422, "Invalid")]
    [InlineData("{\"metadata\":{\"name\":\"a\"},\"data\":{\"key\\n\":\"v\"}}", 422, "Invalid")]
    public async Task Malformed_or_invalid_bodies(string body, int code, string reason)
    {
        var ns = await f.CreateNamespaceAsync("bad");
        var (actual, status, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", body);
        Assert.Equal(code, actual);
        AssertStatus(status, code, reason);
    }

    [Theory]
    [InlineData("GET", "/api/v1/namespaces/default/widgets", 404)]
    [InlineData("GET", "/apis/nope.example.com/v1/things", 404)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps/x/nosuchsub", 404)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(b", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?labelSelector=!!a", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=spec.x%3D1", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=garbage", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?limit=-1", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?limit=1&continue=notatoken", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc", 400)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps?watch=true&labelSelector=a%20in%20(", 400)]
    [InlineData("PUT", "/api/v1/namespaces/default/configmaps", 405)]
    [InlineData("GET", "/api/v1/namespaces/default/configmaps/missing", 404)]
    [InlineData("POST", "/apis/image.openshift.io/v1/namespaces/default/imagestreamtags", 405)]
    public async Task Bad_paths_and_queries(string method, string path, int code)
    {
        var (actual, status, _) = await f.SendAsync(new HttpMethod(method), path, method is "PUT" or "POST" ? "{}" : null);
        Assert.Equal(code, actual);
        Assert.Equal("Status", (string?)status!["kind"]);
        Assert.Equal(code, (int)status["code"]!);
    }

    [Fact]
    public async Task Wrong_content_types_are_415()
    {
        var ns = await f.CreateNamespaceAsync("ct");
        var (code, status, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", "{\"metadata\":{\"name\":\"a\"}}", "text/plain");
        Assert.Equal(415, code);
        AssertStatus(status, 415, "UnsupportedMediaType");
        await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", "{\"metadata\":{\"name\":\"a\"}}");
        var patch = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/a", "{\"data\":{}}", "application/json");
        Assert.Equal(415, patch.Code);
        AssertStatus(patch.Body, 415, "UnsupportedMediaType");
        var malformedJsonPatch = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/a", "{\"op\":\"add\"}", "application/json-patch+json");
        Assert.Equal(400, malformedJsonPatch.Code);
        var missingPath = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/a", "[{\"op\":\"replace\",\"path\":\"/data/none\",\"value\":\"x\"}]", "application/json-patch+json");
        Assert.Equal(422, missingPath.Code);
    }

    [Fact]
    public async Task Missing_or_wrong_token_is_401()
    {
        using var anonymous = ApiServerFixture.CreateHttpClient(f.Server.CaCertificatePem, f.Server.BaseUrl, null);
        var response = await anonymous.GetAsync("/api/v1/namespaces");
        Assert.Equal(401, (int)response.StatusCode);
        AssertStatus(JsonNode.Parse(await response.Content.ReadAsStringAsync()), 401, "Unauthorized");
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(401, (int)(await anonymous.GetAsync("/api/v1/namespaces")).StatusCode);
        Assert.Equal(200, (int)(await anonymous.GetAsync("/version")).StatusCode);
    }

    [Fact]
    public async Task Injected_faults_answer_like_a_struggling_server()
    {
        var ns = await f.CreateNamespaceAsync("fault");
        f.Server.Faults.InjectStatus(429, 1, "configmaps", "list");
        var (code, body, response) = await f.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal(429, code);
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        AssertStatus(body, 429, "TooManyRequests");
        f.Server.Faults.InjectStatus(500, 1, "configmaps");
        Assert.Equal(500, (await f.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps")).Code);
        f.Server.Faults.InjectStatus(409, 1, "configmaps", "create");
        Assert.Equal(409, (await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", "{\"metadata\":{\"name\":\"a\"}}")).Code);
        Assert.Equal(201, (await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", "{\"metadata\":{\"name\":\"a\"}}")).Code);
        f.Server.Faults.SetLatency("configmaps", TimeSpan.FromMilliseconds(300));
        var started = DateTime.UtcNow;
        await f.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps");
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250));
        f.Server.Faults.Reset();
        Assert.True(f.Server.Requests.Count("list", "configmaps") >= 3);
    }
}
