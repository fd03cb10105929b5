using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime.Kube;

/// <param name="Continue">The token for the next page of a paged list; null on the last (or only) page.</param>
public sealed record ListResult<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue = null);

/// <summary>Where a LIST page leaves off: the list's resourceVersion, and the token of the next page (null on the last).</summary>
public sealed record ListCursor(string ResourceVersion, string? Continue);

public enum WatchEventKind { Added, Modified, Deleted, Bookmark }

public sealed record WatchEvent<T>(WatchEventKind Kind, T? Object, string? ResourceVersion);

/// <summary>
/// A thin, uniform REST client for the Kubernetes API over the connection a KubernetesClient configuration describes
/// (kubeconfig or in-cluster credentials, TLS: <see cref="KubeTransport"/>): one code path for core kinds, CRs and
/// OpenShift kinds, with explicit patch types and Status-aware errors. Serialization uses
/// <see cref="KubernetesSerializerOptions"/> (KubernetesJson's converters, source-generated metadata only) so core
/// models round-trip exactly, between objects and UTF-8 bytes or streams directly.
/// </summary>
public sealed class KubeApi : IDisposable
{
    /// <summary>Used when no timeout is given (the operator's <c>ApiRequestTimeout</c> has the same default).</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    private readonly KubeTransport _transport;
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;

    public KubeApi(ClusterAccess access) : this(access, DefaultRequestTimeout, TimeProvider.System)
    {
    }

    /// <param name="requestTimeout">The longest any request other than a watch may take, body included.</param>
    /// <param name="time">The clock of that timeout.</param>
    public KubeApi(ClusterAccess access, TimeSpan requestTimeout, TimeProvider time)
    {
        if (requestTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(requestTimeout), requestTimeout,
                $"the API request timeout (Operator:ApiRequestTimeout) must be positive (e.g. 00:00:30), got {requestTimeout}: a request that may wait forever can keep a stalled connection's caller waiting forever");
        _requestTimeout = requestTimeout;
        _time = time;
        _transport = KubeTransport.Create(access);
        _base = _transport.BaseUri;
        // No HttpClient timeout: each call carries its own (RequestAsync), and a watch is guarded by WatchAsync.
        _http = new HttpClient(_transport.Handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Task<T?> GetAsync<T>(string path, CancellationToken ct) where T : class =>
        RequestAsync<T?>(HttpMethod.Get, path, async token =>
        {
            using var response = await SendAsync(HttpMethod.Get, path, null, null, token, HttpCompletionOption.ResponseHeadersRead, allowNotFound: true);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            return await ReadAsync<T>(response, token);
        }, ct);

    /// <summary>
    /// One LIST request, its items collected. Without <paramref name="limit"/> it is the whole collection; with it, at
    /// most that many items, and <see cref="ListResult{T}.Continue"/> asks for the next page.
    /// </summary>
    /// <remarks>The request timeout covers the whole body: a collection too large to arrive in time needs a page size.</remarks>
    public async Task<ListResult<T>> ListPageAsync<T>(string path, string? query, int? limit, string? continueToken, CancellationToken ct)
    {
        var items = new List<T>();
        var cursor = await ListPageAsync<T>(path, query, limit, continueToken, items.Add, ct);
        return new ListResult<T>(items, cursor.ResourceVersion, cursor.Continue);
    }

    /// <summary>
    /// One LIST request, each item handed to <paramref name="onItem"/> as soon as it has arrived (<see cref="ListReader"/>):
    /// the body never exists as one string, one JSON document or one list of objects. If the request fails part way,
    /// the items already handed over stay handed over.
    /// </summary>
    /// <remarks>The request timeout covers the whole body: a collection too large to arrive in time needs a page size.</remarks>
    public Task<ListCursor> ListPageAsync<T>(string path, string? query, int? limit, string? continueToken, Action<T> onItem, CancellationToken ct)
    {
        var parameters = new List<string>();
        if (!string.IsNullOrEmpty(query)) parameters.Add(query);
        if (limit is { } l) parameters.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(continueToken)) parameters.Add("continue=" + Uri.EscapeDataString(continueToken));
        var url = WithQuery(path, string.Join('&', parameters));
        return RequestAsync(HttpMethod.Get, url, async token =>
        {
            using var response = await SendAsync(HttpMethod.Get, url, null, null, token, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync(token);
            var metadata = await ListReader.ReadAsync(body, onItem, token);
            return new ListCursor(metadata?.ResourceVersion ?? "", metadata?.ContinueProperty is { Length: > 0 } next ? next : null);
        }, ct);
    }

    public Task<T> CreateAsync<T>(string collectionPath, T body, CancellationToken ct) =>
        WriteAsync<T>(HttpMethod.Post, collectionPath, KubernetesSerializerOptions.ToUtf8(body!), "application/json", ct);

    public Task<T> ReplaceAsync<T>(string path, T body, CancellationToken ct) =>
        WriteAsync<T>(HttpMethod.Put, path, KubernetesSerializerOptions.ToUtf8(body!), "application/json", ct);

    /// <summary>PATCH; the body is sent as given when it is a string, serialized otherwise.</summary>
    public Task<T> PatchAsync<T>(string path, V1Patch patch, CancellationToken ct) =>
        WriteAsync<T>(HttpMethod.Patch, path, patch.Content is string text ? Encoding.UTF8.GetBytes(text) : KubernetesSerializerOptions.ToUtf8(patch.Content), ContentType(patch.Type), ct);

    /// <summary>
    /// A successful answer's object, deserialized as KubernetesJson would, but from the response stream: the body is
    /// never copied into a string first. The caller's token (the request timeout) bounds the read.
    /// </summary>
    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        return (await JsonSerializer.DeserializeAsync(body, KubernetesSerializerOptions.TypeInfo<T>(), ct))!;
    }

    private static string ContentType(V1Patch.PatchType type) => type switch
    {
        V1Patch.PatchType.JsonPatch => "application/json-patch+json",
        V1Patch.PatchType.MergePatch => "application/merge-patch+json",
        V1Patch.PatchType.StrategicMergePatch => "application/strategic-merge-patch+json",
        V1Patch.PatchType.ApplyPatch => "application/apply-patch+yaml",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown patch type"),
    };

    /// <summary>DELETE; false when the object was already gone.</summary>
    public Task<bool> DeleteAsync(string path, CancellationToken ct) =>
        RequestAsync(HttpMethod.Delete, path, async token =>
        {
            using var response = await SendAsync(HttpMethod.Delete, path, null, null, token, allowNotFound: true);
            return response.StatusCode != HttpStatusCode.NotFound;
        }, ct);

    private Task<T> WriteAsync<T>(HttpMethod method, string path, byte[] body, string contentType, CancellationToken ct) =>
        RequestAsync(method, path, async token =>
        {
            using var response = await SendAsync(method, path, body, contentType, token, HttpCompletionOption.ResponseHeadersRead);
            return await ReadAsync<T>(response, token);
        }, ct);

    /// <summary>
    /// Runs one request, body included, under the request timeout as well as the caller's token. Without it a
    /// connection that stops answering would hold the caller forever: a leader renewing its Lease, a reconcile holding
    /// its key. Running out of time is a <see cref="KubeApiTimeoutException"/>; the caller's own cancellation stays an
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    private async Task<T> RequestAsync<T>(HttpMethod method, string path, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_requestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return await call(linked.Token);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new KubeApiTimeoutException(method, path, _requestTimeout, e);
        }
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
        // is cut a little later, which the caller handles like any broken stream. The request timeout does not apply:
        // a watch is meant to stay open far longer.
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(ct);
        guard.CancelAfter(timeout + TimeSpan.FromSeconds(30));
        using var response = await SendAsync(HttpMethod.Get, WithQuery(path, q), null, null, guard.Token, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync(guard.Token);
        await foreach (var e in WatchEventReader.ReadAsync<T>(stream, guard.Token)) yield return e;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[]? body, string? contentType,
        CancellationToken ct, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool allowNotFound = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(_base, path))
        {
            // HTTP/2 where the server offers it, as client-go speaks to the API server: every watch and request shares a
            // connection, so far fewer TLS records, syscalls and wake-ups per request (about 7 % of the operator's CPU
            // through a cold convergence here). A plain-HTTP server, or one that does not offer h2, gets HTTP/1.1.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
        }
        var credentials = _transport.Credentials;
        if (credentials is not null) request.Headers.Authorization = await credentials.AuthorizationAsync(ct);
        var response = await _http.SendAsync(request, completion, ct);
        // A token that expired or was revoked early: renewed before the next request, which the caller's retry makes.
        if (response.StatusCode == HttpStatusCode.Unauthorized && request.Headers.Authorization is { } sent) credentials?.Rejected(sent);
        if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound)) return response;
        using (response)
            throw StatusException(await response.Content.ReadAsStringAsync(ct), response.StatusCode);
    }

    private static KubeApiException StatusException(string body, HttpStatusCode fallback)
    {
        try
        {
            return StatusException(KubernetesSerializerOptions.Deserialize<V1Status>(body), fallback, body);
        }
        catch (JsonException)
        {
            return new KubeApiException(fallback, fallback.ToString(), body.Length > 300 ? body[..300] : body);
        }
    }

    /// <summary>The error a Status (from an error response or a watch ERROR event) stands for.</summary>
    internal static KubeApiException StatusException(V1Status? status, HttpStatusCode fallback, string body)
    {
        var code = status?.Code is { } c and > 0 ? (HttpStatusCode)c : fallback;
        var fields = status?.Details?.Causes?.Select(c => c.Field).OfType<string>().ToArray();
        return new KubeApiException(code, status?.Reason ?? code.ToString(), status?.Message ?? body, fields);
    }

    private static string WithQuery(string path, string? query) => string.IsNullOrEmpty(query) ? path : $"{path}?{query}";

    public void Dispose()
    {
        _http.Dispose();
        _transport.Dispose();
    }
}
