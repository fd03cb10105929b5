using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Reads a request body of at most <see cref="MaxBytes"/>, counting the bytes actually received, whatever the
/// transfer encoding: a chunked body has no Content-Length to check in advance.
/// </summary>
public static class AdmissionBody
{
    /// <summary>The API server's own limit on a request, so no real review is larger.</summary>
    public const int MaxBytes = 3 * 1024 * 1024;

    /// <summary>The body, or null when it is larger than <see cref="MaxBytes"/> (the rest is left unread).</summary>
    /// <exception cref="BadHttpRequestException">Kestrel's own limit tripped first, or the client sent broken or slow HTTP.</exception>
    public static async Task<byte[]?> ReadAsync(HttpContext context)
    {
        // Kestrel enforces the same limit while reading (as a BadHttpRequestException, 413); the count below holds for
        // any server or protocol where that feature is missing or already read-only.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } kestrelLimit) kestrelLimit.MaxRequestBodySize = MaxBytes;
        if (context.Request.ContentLength > MaxBytes) return null;

        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            var buffer = read.Buffer;
            if (buffer.Length > MaxBytes)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }
            if (read.IsCompleted)
            {
                var body = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return body;
            }
            reader.AdvanceTo(buffer.Start, buffer.End); // nothing consumed, all examined: wait for more
        }
    }
}
