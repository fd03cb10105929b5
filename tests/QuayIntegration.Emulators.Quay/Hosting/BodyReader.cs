using Microsoft.AspNetCore.Http;

namespace QuayIntegration.Emulators.Quay.Hosting;

/// <summary>Buffers a request body up to a limit, the way nginx's client_max_body_size refuses bigger ones.</summary>
public static class BodyReader
{
    /// <summary>The body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(HttpContext http, long limit)
    {
        var request = http.Request;
        if (request.ContentLength is 0) return [];
        if (request.ContentLength > limit) return null;
        if (request.ContentLength is null && HttpMethods.IsGet(request.Method)) return [];

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 256);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
