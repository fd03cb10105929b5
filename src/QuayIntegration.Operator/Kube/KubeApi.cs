using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace QuayIntegration.Operator.Kube;

public sealed record ListResult<T>(IReadOnlyList<T> Items, string ResourceVersion);

public enum WatchEventKind { Added, Modified, Deleted, Bookmark }

public sealed record WatchEvent<T>(WatchEventKind Kind, T? Object, string? ResourceVersion);

/// <summary>
/// A thin, uniform REST client for the Kubernetes API built on the KubernetesClient connection (kubeconfig or
/// in-cluster credentials, TLS): one code path for core kinds, CRs and OpenShift kinds, with explicit patch types
/// and Status-aware errors. Serialization uses KubernetesJson so core models round-trip exactly.
/// </summary>
public sealed class KubeApi : IDisposable
{
    private readonly k8s.Kubernetes _kubernetes;
    private readonly HttpClient _http;
    private readonly Uri _base;

    public KubeApi(KubernetesClientConfiguration configuration)
    {
        // KubernetesClient wires the given handler in front of its configured transport (client certificates, CA,
        // proxy); sending through it reuses that transport while this class controls URLs, verbs and patch types.
        var entry = new PassThroughHandler();
        _kubernetes = new k8s.Kubernetes(configuration, entry);
        _base = new Uri(_kubernetes.BaseUri.ToString().TrimEnd('/') + "/");
        _http = new HttpClient(entry, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<T?> GetAsync<T>(string path, CancellationToken ct) where T : class
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, null, ct, HttpCompletionOption.ResponseContentRead, allowNotFound: true);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return KubernetesJson.Deserialize<T>(await response.Content.ReadAsStringAsync(ct));
    }

    public async Task<ListResult<T>> ListAsync<T>(string path, string? query, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, WithQuery(path, query), null, null, ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var rv = doc.RootElement.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var r) ? r.GetString() ?? "" : "";
        var items = new List<T>();
        if (doc.RootElement.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var item in list.EnumerateArray())
                items.Add(KubernetesJson.Deserialize<T>(item.GetRawText()));
        return new(items, rv);
    }

    public async Task<T> CreateAsync<T>(string collectionPath, T body, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, collectionPath, KubernetesJson.Serialize(body), "application/json", ct);
        return KubernetesJson.Deserialize<T>(await response.Content.ReadAsStringAsync(ct));
    }

    public async Task<T> ReplaceAsync<T>(string path, T body, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Put, path, KubernetesJson.Serialize(body), "application/json", ct);
        return KubernetesJson.Deserialize<T>(await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>PATCH with an explicit type: application/json-patch+json or application/merge-patch+json.</summary>
    public async Task<T> PatchAsync<T>(string path, string patchType, string patch, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Patch, path, patch, patchType, ct);
        return KubernetesJson.Deserialize<T>(await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>DELETE; false when the object was already gone.</summary>
    public async Task<bool> DeleteAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Delete, path, null, null, ct, allowNotFound: true);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary>
    /// Streams watch events after <paramref name="resourceVersion"/>. A 410 (as an HTTP status or an ERROR event)
    /// surfaces as <see cref="KubeApiException"/> with <see cref="KubeApiException.IsGone"/>, telling the caller to relist.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(string path, string? query, string resourceVersion,
        TimeSpan timeout, [EnumeratorCancellation] CancellationToken ct)
    {
        var q = $"watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}&timeoutSeconds={(int)timeout.TotalSeconds}";
        if (!string.IsNullOrEmpty(query)) q += "&" + query;
        // The server ends the watch after timeoutSeconds; a connection that silently stops delivering (a dead peer)
        // is cut a little later, which the caller handles like any broken stream.
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(timeout + TimeSpan.FromSeconds(30));
        using var response = await SendAsync(HttpMethod.Get, WithQuery(path, q), null, null, guard.Token, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync(guard.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(guard.Token) is { } line)
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var type = doc.RootElement.GetProperty("type").GetString();
            var obj = doc.RootElement.GetProperty("object");
            if (type == "ERROR") throw StatusException(obj.GetRawText(), HttpStatusCode.InternalServerError);
            var rv = obj.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var r) ? r.GetString() : null;
            var kind = type switch
            {
                "ADDED" => WatchEventKind.Added,
                "MODIFIED" => WatchEventKind.Modified,
                "DELETED" => WatchEventKind.Deleted,
                "BOOKMARK" => WatchEventKind.Bookmark,
                _ => throw new InvalidOperationException($"unknown watch event type '{type}'"),
            };
            yield return new(kind, kind == WatchEventKind.Bookmark ? default : KubernetesJson.Deserialize<T>(obj.GetRawText()), rv);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body, string? contentType,
        CancellationToken ct, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool allowNotFound = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
        }
        if (_kubernetes.Credentials is { } credentials) await credentials.ProcessHttpRequestAsync(request, ct);
        var response = await _http.SendAsync(request, completion, ct);
        if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound)) return response;
        using (response)
            throw StatusException(await response.Content.ReadAsStringAsync(ct), response.StatusCode);
    }

    private static KubeApiException StatusException(string body, HttpStatusCode fallback)
    {
        try
        {
            var status = KubernetesJson.Deserialize<V1Status>(body);
            var code = status?.Code is { } c and > 0 ? (HttpStatusCode)c : fallback;
            return new KubeApiException(code, status?.Reason ?? code.ToString(), status?.Message ?? body);
        }
        catch (JsonException)
        {
            return new KubeApiException(fallback, fallback.ToString(), body.Length > 300 ? body[..300] : body);
        }
    }

    private static string WithQuery(string path, string? query) => string.IsNullOrEmpty(query) ? path : $"{path}?{query}";

    private sealed class PassThroughHandler : DelegatingHandler;

    public void Dispose()
    {
        _http.Dispose();
        _kubernetes.Dispose();
    }
}
