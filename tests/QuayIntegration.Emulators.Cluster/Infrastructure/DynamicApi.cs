using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;

namespace QuayIntegration.Emulators.Cluster.Infrastructure;

/// <summary>A resource as discovery describes it, with the verbs the server allows on it.</summary>
public sealed record DiscoveredResource(string Group, string Version, string Plural, string Kind, bool Namespaced, IReadOnlyList<string> Verbs)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string CollectionPath(string ns) => (Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}") + $"/namespaces/{ns}/{Plural}";
    /// <summary>How the namespace controller names a resource in its messages: <c>configmaps.</c>, <c>builds.build.openshift.io</c>.</summary>
    public string GroupResource => $"{Plural}.{Group}";
}

/// <summary>Discovery results: what was found, and the group versions that could not be read.</summary>
public sealed record DiscoveryResult(IReadOnlyList<DiscoveredResource> Resources, IReadOnlyDictionary<string, string> FailedGroupVersions);

/// <summary>An API answer outside 2xx, with the Status message the server wrote.</summary>
public sealed class DynamicApiException(HttpStatusCode statusCode, string message) : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;
}

/// <summary>
/// The dynamic client: requests to paths the typed client cannot build (discovery of every group version, and the
/// generic delete/list that kube-controller-manager's namespace controller runs over every namespaced resource).
/// It goes through the KubernetesClient's own HTTP pipeline and credentials, so TLS and the bearer token are the kubeconfig's.
/// </summary>
public sealed class DynamicApi : IDisposable
{
    private readonly k8s.Kubernetes _client;
    private readonly HttpClient _http;

    /// <param name="client">The client whose credentials sign each request.</param>
    /// <param name="pipelineHead">A handler placed first in that client's pipeline (see <see cref="KubernetesConnection"/>), so requests share its TLS settings.</param>
    public DynamicApi(k8s.Kubernetes client, HttpMessageHandler pipelineHead)
    {
        _client = client;
        _http = new HttpClient(pipelineHead, disposeHandler: false)
        {
            BaseAddress = client.BaseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public async Task<JsonObject> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, cancellationToken);
        return await ReadObjectAsync(response, cancellationToken);
    }

    /// <summary>POSTs a JSON body (e.g. to a subresource such as <c>buildconfigs/{name}/instantiate</c>) and returns the answer.</summary>
    public async Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), new MediaTypeHeaderValue("application/json")),
        };
        using var response = await SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ToExceptionAsync(response, cancellationToken);
        }
        return await ReadObjectAsync(response, cancellationToken);
    }

    /// <summary>Deletes and reports the status code; 404 (already gone) and 405 (verb not served) are answers, not failures.</summary>
    public async Task<HttpStatusCode> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path)
        {
            // Background propagation, as the namespace controller uses: dependents are left to the garbage collector.
            Content = new StringContent("""{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}""", new MediaTypeHeaderValue("application/json")),
        };
        using var response = await SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return response.StatusCode;
        }
        throw await ToExceptionAsync(response, cancellationToken);
    }

    /// <summary>The server's preferred version of every group, as client-go's ServerPreferredResources walks it.</summary>
    public async Task<DiscoveryResult> DiscoverAsync(CancellationToken cancellationToken)
    {
        var groupVersions = new List<string>();
        var core = await GetAsync("/api", cancellationToken);
        groupVersions.AddRange(core["versions"]?.AsArray().Select(v => v!.GetValue<string>()) ?? []);
        var groups = await GetAsync("/apis", cancellationToken);
        foreach (var group in groups["groups"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var preferred = group.Str("preferredVersion", "groupVersion")
                ?? group["versions"]?.AsArray().OfType<JsonObject>().Select(v => v.Str("groupVersion")).FirstOrDefault();
            if (preferred is not null)
            {
                groupVersions.Add(preferred);
            }
        }

        var resources = new List<DiscoveredResource>();
        var failures = new Dictionary<string, string>();
        foreach (var groupVersion in groupVersions)
        {
            var path = groupVersion.Contains('/') ? $"/apis/{groupVersion}" : $"/api/{groupVersion}";
            JsonObject list;
            try
            {
                list = await GetAsync(path, cancellationToken);
            }
            catch (Exception exception) when (exception is DynamicApiException or HttpRequestException or JsonException)
            {
                failures[groupVersion] = exception.Message;
                continue;
            }
            var (group, version) = groupVersion.Contains('/') ? (groupVersion.Split('/')[0], groupVersion.Split('/')[1]) : ("", groupVersion);
            foreach (var resource in list["resources"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                var name = resource.Str("name") ?? "";
                if (name.Length == 0 || name.Contains('/'))
                {
                    continue; // subresources (namespaces/finalize, builds/log, ...) are not content
                }
                var verbs = resource["verbs"]?.AsArray().Select(v => v!.GetValue<string>()).ToList() ?? [];
                var namespaced = resource["namespaced"] is JsonValue n && n.TryGetValue<bool>(out var isNamespaced) && isNamespaced;
                resources.Add(new DiscoveredResource(group, version, name, resource.Str("kind") ?? "", namespaced, verbs));
            }
        }
        return new DiscoveryResult(resources, failures);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        var response = await SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ToExceptionAsync(response, cancellationToken);
            }
        }
        return response;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (_client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }
        return await _http.SendAsync(request, cancellationToken);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return JsonNode.Parse(body) as JsonObject ?? throw new JsonException($"expected a JSON object from {response.RequestMessage?.RequestUri}");
    }

    private static async Task<DynamicApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string message;
        try
        {
            message = JsonNode.Parse(body).Str("message") ?? body;
        }
        catch (JsonException)
        {
            message = body;
        }
        return new DynamicApiException(response.StatusCode,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {(int)response.StatusCode} {message}");
    }

    public void Dispose() => _http.Dispose();
}
