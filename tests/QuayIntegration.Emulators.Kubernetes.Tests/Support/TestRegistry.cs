using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

/// <summary>
/// A registry speaking the v2 token contract of ARCHITECTURE.md: <c>/v2/</c> challenge, <c>/v2/auth</c> with Basic
/// credentials granting pull on the repositories a user may read, and manifest HEAD with <c>Docker-Content-Digest</c>.
/// </summary>
public sealed class TestRegistry : IAsyncDisposable
{
    private TestHttpsServer _server = null!;
    private readonly Dictionary<string, string> _manifests = new(); // "repo:tag" -> digest
    private readonly Dictionary<string, (string Password, HashSet<string> Repos)> _users = new();
    private readonly Dictionary<string, HashSet<string>> _tokens = new();

    public string Host => _server.HostAndPort;
    public string CaPem => _server.CaPem;

    /// <summary>Awaited before a manifest is answered: what a test does while an import waits on the registry.</summary>
    public Func<Task>? BeforeManifest { get; set; }

    public static async Task<TestRegistry> StartAsync()
    {
        var registry = new TestRegistry();
        registry._server = await TestHttpsServer.StartAsync(registry.HandleAsync);
        return registry;
    }

    public string AddImage(string repository, string tag)
    {
        var digest = "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(repository + tag + Guid.NewGuid()))).ToLowerInvariant();
        lock (_manifests) _manifests[$"{repository}:{tag}"] = digest;
        return digest;
    }

    public void AddUser(string user, string password, params string[] readableRepos)
    {
        lock (_users) _users[user] = (password, readableRepos.ToHashSet());
    }

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value!;
        if (path == "/v2/")
        {
            if (TokenGrants(http) is null)
            {
                http.Response.StatusCode = 401;
                http.Response.Headers.WWWAuthenticate = $"Bearer realm=\"https://{Host}/v2/auth\",service=\"{Host}\"";
                return;
            }
            await http.Response.WriteAsync("{}");
            return;
        }
        if (path == "/v2/auth")
        {
            var scope = http.Request.Query["scope"].ToString(); // repository:<repo>:pull
            var repo = scope.Split(':')[1];
            var grants = new HashSet<string>();
            var header = http.Request.Headers.Authorization.ToString();
            if (header.StartsWith("Basic "))
            {
                var parts = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])).Split(':', 2);
                lock (_users)
                {
                    if (!_users.TryGetValue(parts[0], out var user) || user.Password != parts[1]) { http.Response.StatusCode = 401; return; }
                    if (user.Repos.Contains(repo)) grants.Add(repo);
                }
            }
            var token = Guid.NewGuid().ToString("N");
            lock (_tokens) _tokens[token] = grants;
            await http.Response.WriteAsync($"{{\"token\":\"{token}\",\"access_token\":\"{token}\"}}");
            return;
        }
        var marker = path.IndexOf("/manifests/", StringComparison.Ordinal);
        if (path.StartsWith("/v2/") && marker > 0)
        {
            var repo = path[4..marker];
            var reference = path[(marker + 11)..];
            var granted = TokenGrants(http);
            if (granted is null || !granted.Contains(repo)) { http.Response.StatusCode = 401; return; }
            if (BeforeManifest is { } before) await before();
            string? digest;
            lock (_manifests) _manifests.TryGetValue($"{repo}:{reference}", out digest);
            if (digest is null) { http.Response.StatusCode = 404; return; }
            http.Response.Headers["Docker-Content-Digest"] = digest;
            http.Response.ContentType = "application/vnd.docker.distribution.manifest.v2+json";
            return;
        }
        http.Response.StatusCode = 404;
    }

    private HashSet<string>? TokenGrants(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ")) return null;
        lock (_tokens) return _tokens.TryGetValue(header[7..], out var g) ? g : null;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
