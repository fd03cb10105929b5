using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Builds;

/// <summary>A push the registry refused or that could not reach it; the message is meant for a person reading the build.</summary>
public sealed class RegistryPushException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>How the build pod reaches registries: which CAs it trusts besides the system's, and which hosts speak plain HTTP.</summary>
public sealed class RegistryTrust
{
    public X509Certificate2Collection CertificateAuthorities { get; } = [];
    /// <summary>Hosts (<c>host:port</c>) reached over plain HTTP, like an <c>insecureRegistries</c> entry.</summary>
    public ISet<string> PlainHttpRegistries { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The push half of the Docker Registry HTTP API v2, as buildah does it against Quay: probe <c>/v2/</c>, follow the
/// Bearer challenge to the token endpoint with Basic credentials for <c>push,pull</c> on the repository, upload the
/// config and layer blobs (skipping those already there), then PUT the manifest under the tag.
/// </summary>
public sealed class RegistryPushClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly RegistryTrust _trust;

    public RegistryPushClient(RegistryTrust trust)
    {
        _trust = trust;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ValidateCertificate },
        };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Pushes <paramref name="image"/> to <paramref name="target"/> and returns the manifest digest the registry reports.</summary>
    public async Task<string> PushAsync(ImageReference target, RegistryCredential? credential, SyntheticImage image, CancellationToken cancellationToken)
    {
        var registry = new Uri($"{(_trust.PlainHttpRegistries.Contains(target.Registry) ? "http" : "https")}://{target.Registry}");
        try
        {
            var authorization = await AuthorizeAsync(registry, target, credential, cancellationToken);
            foreach (var blob in new[] { image.Config, image.Layer })
            {
                await UploadBlobAsync(registry, target, blob, credential, authorization, cancellationToken);
            }
            return await PutManifestAsync(registry, target, image, credential, authorization, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new RegistryPushException($"cannot reach the registry {target.Registry}: {ExplainConnectionFailure(exception)}", exception);
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryPushException($"the registry {target.Registry} did not answer in time", exception);
        }
    }

    private async Task<AuthenticationHeaderValue?> AuthorizeAsync(Uri registry, ImageReference target, RegistryCredential? credential, CancellationToken cancellationToken)
    {
        using var probe = await _http.GetAsync(new Uri(registry, "/v2/"), cancellationToken);
        if (probe.IsSuccessStatusCode)
        {
            return null;
        }
        if (probe.StatusCode != HttpStatusCode.Unauthorized)
        {
            throw new RegistryPushException($"the registry {target.Registry} answered {Describe(probe)} to the API version check");
        }
        var basic = credential is null
            ? null
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));
        var challenge = probe.Headers.WwwAuthenticate.FirstOrDefault();
        if (challenge is null || challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return basic;
        }
        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw new RegistryPushException($"the registry {target.Registry} asks for unsupported authentication \"{challenge.Scheme}\"");
        }

        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realm))
        {
            throw new RegistryPushException($"the registry {target.Registry} sent a Bearer challenge without a realm");
        }
        var query = new List<string>();
        if (parameters.TryGetValue("service", out var service))
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }
        query.Add("scope=" + Uri.EscapeDataString($"repository:{target.Repository}:push,pull"));
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, realm + (realm.Contains('?') ? "&" : "?") + string.Join("&", query));
        tokenRequest.Headers.Authorization = basic;
        using var tokenResponse = await _http.SendAsync(tokenRequest, cancellationToken);
        if (!tokenResponse.IsSuccessStatusCode)
        {
            throw new RegistryPushException(credential is null
                ? $"the registry {target.Registry} requires credentials and the build has none for it ({await DescribeAsync(tokenResponse, cancellationToken)})"
                : $"the registry {target.Registry} rejected the credentials of \"{credential.Username}\" from secret \"{credential.SecretName}\" ({await DescribeAsync(tokenResponse, cancellationToken)})");
        }
        var body = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync(cancellationToken));
        var token = body.Str("token") ?? body.Str("access_token")
            ?? throw new RegistryPushException($"the registry {target.Registry} issued no token");
        return new AuthenticationHeaderValue("Bearer", token);
    }

    private async Task UploadBlobAsync(Uri registry, ImageReference target, Blob blob, RegistryCredential? credential, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using (var head = Request(HttpMethod.Head, new Uri(registry, $"/v2/{target.Repository}/blobs/{blob.Digest}"), authorization))
        using (var exists = await _http.SendAsync(head, cancellationToken))
        {
            if (exists.IsSuccessStatusCode)
            {
                return;
            }
        }

        // Monolithic upload in a single POST; a registry that only starts a session (202 + Location) gets the PUT that completes it.
        using var post = Request(HttpMethod.Post, new Uri(registry, $"/v2/{target.Repository}/blobs/uploads/?digest={Uri.EscapeDataString(blob.Digest)}"), authorization);
        post.Content = OctetStream(blob.Content);
        using var started = await _http.SendAsync(post, cancellationToken);
        if (started.StatusCode == HttpStatusCode.Created)
        {
            return;
        }
        if (started.StatusCode != HttpStatusCode.Accepted || started.Headers.Location is null)
        {
            throw await RefusedAsync("uploading a layer", target, credential, started, cancellationToken);
        }
        var location = started.Headers.Location.IsAbsoluteUri ? started.Headers.Location : new Uri(registry, started.Headers.Location);
        var separator = location.Query.Length > 0 ? "&" : "?";
        using var put = Request(HttpMethod.Put, new Uri(location + separator + "digest=" + Uri.EscapeDataString(blob.Digest)), authorization);
        put.Content = OctetStream(blob.Content);
        using var completed = await _http.SendAsync(put, cancellationToken);
        if (completed.StatusCode != HttpStatusCode.Created)
        {
            throw await RefusedAsync("uploading a layer", target, credential, completed, cancellationToken);
        }
    }

    private async Task<string> PutManifestAsync(Uri registry, ImageReference target, SyntheticImage image, RegistryCredential? credential, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using var put = Request(HttpMethod.Put, new Uri(registry, $"/v2/{target.Repository}/manifests/{target.Tag ?? "latest"}"), authorization);
        put.Content = new ByteArrayContent(image.Manifest);
        put.Content.Headers.ContentType = new MediaTypeHeaderValue(SyntheticImage.ManifestMediaType);
        using var response = await _http.SendAsync(put, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await RefusedAsync("writing the manifest", target, credential, response, cancellationToken);
        }
        return response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.First() : image.Digest;
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, AuthenticationHeaderValue? authorization)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = authorization;
        return request;
    }

    private static ByteArrayContent OctetStream(byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return body;
    }

    private static async Task<RegistryPushException> RefusedAsync(string step, ImageReference target, RegistryCredential? credential, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var answer = await DescribeAsync(response, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
        {
            return new RegistryPushException($"the registry refused {step} for {target.RepositoryWithRegistry} ({answer})");
        }
        return new RegistryPushException(credential is null
            ? $"the build has no credentials for {target.Registry} (no push secret with an entry for it), and the registry denied an anonymous push to {target.RepositoryWithRegistry} ({answer})"
            : $"\"{credential.Username}\" (from secret \"{credential.SecretName}\") has no push permission on {target.RepositoryWithRegistry}: the registry denied {step} ({answer})");
    }

    /// <summary>The registry's own words: its <c>errors[]</c> codes and messages, else the status line.</summary>
    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var errors = JsonNode.Parse(body).At("errors") as JsonArray;
            var described = errors?.OfType<JsonObject>().Select(e => $"{e.Str("code")}: {e.Str("message")}").ToList();
            if (described is { Count: > 0 })
            {
                return $"{Describe(response)}: {string.Join("; ", described)}";
            }
        }
        catch (JsonException)
        {
        }
        return Describe(response);
    }

    private static string ExplainConnectionFailure(HttpRequestException exception)
    {
        if (exception.InnerException is System.Security.Authentication.AuthenticationException)
        {
            return "its TLS certificate is not trusted (is its CA among the registry CAs of the cluster?)";
        }
        var innermost = exception.GetBaseException();
        return innermost == exception ? exception.Message : $"{exception.Message} {innermost.Message}";
    }

    private static string Describe(HttpResponseMessage response) => $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();

    private static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        while (position < parameter.Length)
        {
            var equals = parameter.IndexOf('=', position);
            if (equals < 0)
            {
                break;
            }
            var key = parameter[position..equals].Trim(' ', ',');
            string value;
            if (equals + 1 < parameter.Length && parameter[equals + 1] == '"')
            {
                var close = parameter.IndexOf('"', equals + 2);
                close = close < 0 ? parameter.Length : close;
                value = parameter[(equals + 2)..close];
                position = close + 1;
            }
            else
            {
                var comma = parameter.IndexOf(',', equals);
                comma = comma < 0 ? parameter.Length : comma;
                value = parameter[(equals + 1)..comma].Trim();
                position = comma;
            }
            result[key] = value;
            while (position < parameter.Length && parameter[position] is ',' or ' ')
            {
                position++;
            }
        }
        return result;
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        // Only an unknown issuer can be fixed by our extra CAs; a name mismatch or a missing certificate cannot.
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null || _trust.CertificateAuthorities.Count == 0)
        {
            return false;
        }
        using var customChain = new X509Chain();
        customChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        customChain.ChainPolicy.CustomTrustStore.AddRange(_trust.CertificateAuthorities);
        customChain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements.Skip(1))
            {
                customChain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return customChain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
    }

    public void Dispose() => _http.Dispose();
}
