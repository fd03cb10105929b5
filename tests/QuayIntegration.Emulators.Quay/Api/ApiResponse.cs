using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace QuayIntegration.Emulators.Quay.Api;

/// <summary>What a handler answers; written to the wire by the pipeline after the store lock has been released.</summary>
public sealed class ApiResponse
{
    /// <summary>Python's json.dumps does not escape '+', '&lt;' or '&amp;', so neither do we (robot names contain '+').</summary>
    public static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public int Status { get; }
    public string? ContentType { get; }
    public byte[] Body { get; }
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public ApiResponse(int status, string? contentType, byte[] body)
    {
        Status = status;
        ContentType = contentType;
        Body = body;
    }

    public ApiResponse WithHeader(string name, string value)
    {
        Headers.Add(new(name, value));
        return this;
    }

    /// <summary>A JSON success body; Flask's jsonify ends it with a newline.</summary>
    public static ApiResponse Json(int status, JsonNode? body) =>
        new(status, "application/json", Encoding.UTF8.GetBytes((body?.ToJsonString(Compact) ?? "null") + "\n"));

    public static ApiResponse Ok(JsonNode? body) => Json(StatusCodes.Status200OK, body);

    public static ApiResponse NoContent() => new(StatusCodes.Status204NoContent, null, []);

    /// <summary>An empty body with another status, e.g. the registry's 201/202 answers.</summary>
    public static ApiResponse NoContentWithStatus(int status) => new(status, null, []);

    public static ApiResponse Raw(int status, string contentType, byte[] body) => new(status, contentType, body);

    public static ApiResponse Text(int status, string contentType, string body) => new(status, contentType, Encoding.UTF8.GetBytes(body));

    /// <summary>
    /// Sends the headers (with the full Content-Length) and the first half of the body, then nothing until
    /// <paramref name="stall"/> has passed or the client gave up, then drops the connection: an answer cut short.
    /// </summary>
    public async Task WriteHalfAndStallAsync(HttpContext http, TimeSpan stall, CancellationToken stopping)
    {
        var response = StartResponse(http);
        response.ContentLength = Body.Length;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        try
        {
            await response.Body.WriteAsync(Body.AsMemory(0, Body.Length / 2), linked.Token);
            await response.Body.FlushAsync(linked.Token);
            await Task.Delay(stall, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The client gave up, or the emulator is stopping.
        }
        http.Abort();
    }

    public async Task WriteAsync(HttpContext http)
    {
        var response = StartResponse(http);
        if (Status == StatusCodes.Status204NoContent) return;
        response.ContentLength = Body.Length;
        if (!HttpMethods.IsHead(http.Request.Method) && Body.Length > 0)
            await response.Body.WriteAsync(Body, http.RequestAborted);
    }

    /// <summary>Status, headers and content type: what every answer, whole or cut short, starts with.</summary>
    private HttpResponse StartResponse(HttpContext http)
    {
        var response = http.Response;
        response.StatusCode = Status;
        foreach (var (name, value) in Headers) response.Headers.Append(name, value);
        if (ContentType is not null) response.ContentType = ContentType;
        return response;
    }
}
