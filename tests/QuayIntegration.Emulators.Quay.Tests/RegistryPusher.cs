using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>A tiny Docker Registry v2 client for the tests: token dance, monolithic blob upload, manifest put/head.</summary>
public sealed class RegistryPusher(HttpClient http)
{
    public const string ManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public async Task<(HttpStatusCode Status, string? Token)> Login(string? username, string? password, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/auth?service=quay&scope={Uri.EscapeDataString(scope)}");
        if (username is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode) return (response.StatusCode, null);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (response.StatusCode, (string?)body["token"]);
    }

    public async Task<string> LoginOrFail(string? username, string? password, string repository, string actions = "push,pull")
    {
        var (status, token) = await Login(username, password, $"repository:{repository}:{actions}");
        Assert.Equal(HttpStatusCode.OK, status);
        return token!;
    }

    public async Task<HttpResponseMessage> UploadBlob(string? token, string repository, byte[] content, string? digest = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v2/{repository}/blobs/uploads/?digest={Uri.EscapeDataString(digest ?? Digest(content))}")
        {
            Content = new ByteArrayContent(content),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    /// <summary>An image manifest over a config and one layer (both must have been uploaded unless testing the opposite).</summary>
    public static (byte[] Manifest, byte[] Config, byte[] Layer) Image(string seed)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"{seed}\"}}");
        var layer = Encoding.UTF8.GetBytes("layer-" + seed);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestMediaType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.docker.container.image.v1+json", ["size"] = config.Length, ["digest"] = Digest(config) },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.docker.image.rootfs.diff.tar.gzip", ["size"] = layer.Length, ["digest"] = Digest(layer) }),
        };
        return (Encoding.UTF8.GetBytes(manifest.ToJsonString()), config, layer);
    }

    public async Task<HttpResponseMessage> PutManifest(string? token, string repository, string reference, byte[] manifest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"v2/{repository}/manifests/{reference}") { Content = new ByteArrayContent(manifest) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ManifestMediaType);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> Send(HttpMethod method, string? token, string path)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    /// <summary>Full push as a build does it; returns the manifest digest.</summary>
    public async Task<string> Push(string username, string password, string repository, string tag, string seed)
    {
        var token = await LoginOrFail(username, password, repository);
        var (manifest, config, layer) = Image(seed);
        using (var r = await UploadBlob(token, repository, config)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await UploadBlob(token, repository, layer)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var put = await PutManifest(token, repository, tag, manifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return put.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
