using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>Registry credentials (from a dockerconfigjson/dockercfg secret).</summary>
public sealed record RegistryCredentials(string Username, string Password);

/// <summary>A resolved manifest, or why it could not be resolved (a Kubernetes Status reason and message).</summary>
public sealed record ManifestLookup(bool Success, string? Digest, string? MediaType, string Reason, string Message, int Code);

/// <summary>
/// The Docker Registry v2 client ImageStreamImport uses: token auth (<c>/v2/</c> challenge, then the realm with Basic
/// credentials and a pull scope), then <c>HEAD /v2/&lt;repo&gt;/manifests/&lt;ref&gt;</c>. TLS trusts the system roots plus
/// the configured extra CAs; <c>insecure</c> skips verification and allows plain HTTP.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    private static readonly string[] ManifestMediaTypes =
    [
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json",
    ];

    private readonly HttpClient _verifying;
    private readonly HttpClient _insecure;

    public RegistryClient(ApiServerOptions options)
    {
        // Read the extra CAs at each handshake, so trust added to the options after start applies.
        X509Certificate2Collection ExtraRoots()
        {
            var roots = new X509Certificate2Collection();
            foreach (var pem in options.RegistryCaCertificatesPem.ToArray()) roots.ImportFromPem(pem);
            return roots;
        }
        _verifying = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == SslPolicyErrors.None || ChainsToExtraRoot(certificate, errors, ExtraRoots()),
            },
        }) { Timeout = TimeSpan.FromSeconds(15) };
        _insecure = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { Timeout = TimeSpan.FromSeconds(15) };
    }

    private static bool ChainsToExtraRoot(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || roots.Count == 0 || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }

    /// <summary>Splits <c>host[:port]/repo[:tag|@digest]</c>; Docker Hub names get <c>docker.io</c> (and <c>library/</c>).</summary>
    public static (string Registry, string Repository, string Reference)? ParsePullSpec(string spec)
    {
        var m = PullSpecRegex().Match(spec);
        if (!m.Success) return null;
        var name = m.Groups["name"].Value;
        var first = name.Split('/')[0];
        string registry, repository;
        if (name.Contains('/') && (first.Contains('.') || first.Contains(':') || first == "localhost"))
            (registry, repository) = (first, name[(first.Length + 1)..]);
        else
            (registry, repository) = ("docker.io", name.Contains('/') ? name : "library/" + name);
        var reference = m.Groups["digest"].Success ? m.Groups["digest"].Value : m.Groups["tag"].Success ? m.Groups["tag"].Value : "latest";
        return (registry, repository, reference);
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9][A-Za-z0-9._\-/:]*?)(?::(?<tag>[\w][\w.\-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?\z")]
    private static partial Regex PullSpecRegex();

    public async Task<ManifestLookup> ResolveAsync(string registry, string repository, string reference, RegistryCredentials? credentials, bool insecure, CancellationToken ct)
    {
        var client = insecure ? _insecure : _verifying;
        var schemes = insecure ? new[] { "https", "http" } : ["https"];
        Exception? last = null;
        foreach (var scheme in schemes)
        {
            try { return await ResolveOverAsync(client, $"{scheme}://{registry}", repository, reference, credentials, ct); }
            catch (HttpRequestException e) { last = e; }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested) { last = e; }
        }
        return new ManifestLookup(false, null, null, "InternalError",
            $"Internal error occurred: Get \"https://{registry}/v2/\": {Innermost(last!).Message}", 500);
    }

    private async Task<ManifestLookup> ResolveOverAsync(HttpClient client, string baseUrl, string repository, string reference, RegistryCredentials? credentials, CancellationToken ct)
    {
        var registry = new Uri(baseUrl).Authority;
        var pullSpec = $"{registry}/{repository}{(reference.StartsWith("sha256:", StringComparison.Ordinal) ? "@" : ":")}{reference}";
        string? token = null;
        using (var ping = await client.GetAsync(baseUrl + "/v2/", ct))
        {
            if (ping.StatusCode == HttpStatusCode.Unauthorized && ping.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme == "Bearer") is { } challenge)
            {
                var parameters = ParseChallenge(challenge.Parameter ?? "");
                var realm = parameters.GetValueOrDefault("realm") ?? baseUrl + "/v2/auth";
                var query = $"?service={Uri.EscapeDataString(parameters.GetValueOrDefault("service") ?? registry)}&scope={Uri.EscapeDataString($"repository:{repository}:pull")}";
                using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, realm + query);
                if (credentials is not null)
                    tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
                using var tokenResponse = await client.SendAsync(tokenRequest, ct);
                if (!tokenResponse.IsSuccessStatusCode)
                    return Unauthorized(pullSpec);
                var body = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync(ct)) as JsonObject;
                token = body?["token"]?.GetValue<string>() ?? body?["access_token"]?.GetValue<string>();
            }
        }
        using var request = new HttpRequestMessage(HttpMethod.Head, $"{baseUrl}/v2/{repository}/manifests/{reference}");
        foreach (var mediaType in ManifestMediaTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request, ct);
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
                var contentType = response.Content.Headers.ContentType?.MediaType;
                if (digest is null)
                {
                    using var get = new HttpRequestMessage(HttpMethod.Get, request.RequestUri);
                    foreach (var mediaType in ManifestMediaTypes) get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
                    if (token is not null) get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    using var full = await client.SendAsync(get, ct);
                    digest = "sha256:" + Convert.ToHexString(SHA256.HashData(await full.Content.ReadAsByteArrayAsync(ct))).ToLowerInvariant();
                }
                return new ManifestLookup(true, digest, contentType, "", "", 200);
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                return Unauthorized(pullSpec);
            case HttpStatusCode.NotFound:
                return new ManifestLookup(false, null, null, "NotFound", $"dockerimage.image.openshift.io \"{pullSpec}\" not found", 404);
            default:
                return new ManifestLookup(false, null, null, "InternalError", $"Internal error occurred: unexpected status code {(int)response.StatusCode} from {baseUrl}", 500);
        }
    }

    private static ManifestLookup Unauthorized(string pullSpec) =>
        new(false, null, null, "Unauthorized", $"you may not have access to the container image \"{pullSpec}\"", 401);

    private static Dictionary<string, string> ParseChallenge(string parameter) =>
        Regex.Matches(parameter, "(\\w+)=\"([^\"]*)\"").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    public void Dispose()
    {
        _verifying.Dispose();
        _insecure.Dispose();
    }
}
