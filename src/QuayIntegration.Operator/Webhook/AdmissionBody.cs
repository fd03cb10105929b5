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

    /// <summary>Bodies up to this size are read into a buffer borrowed from the shared pool; a Build's review is a few kilobytes.</summary>
    private const int PooledBytes = 64 * 1024;

    /// <summary>The body, or null when it is larger than <see cref="MaxBytes"/> (the rest is left unread). Dispose it once done with it.</summary>
    /// <exception cref="BadHttpRequestException">Kestrel's own limit tripped first, or the client sent broken or slow HTTP.</exception>
    public static async ValueTask<Body?> ReadAsync(HttpContext context)
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
                var body = Body.CopyOf(buffer);
                reader.AdvanceTo(buffer.End);
                return body;
            }
            reader.AdvanceTo(buffer.Start, buffer.End); // nothing consumed, all examined: wait for more
        }
    }

    /// <summary>
    /// A request body, copied out of the connection's buffers (which go back to Kestrel at once) into one contiguous
    /// array, the form the JSON parser reads in place. A small body's array is borrowed from the shared pool, so the
    /// webhook allocates nothing per review for it; a large one's is its own, not kept by the pool afterwards.
    /// </summary>
    public readonly struct Body : IDisposable
    {
        private readonly byte[] _array;
        private readonly bool _pooled;

        private Body(byte[] array, int length, bool pooled)
        {
            _array = array;
            _pooled = pooled;
            Memory = array.AsMemory(0, length);
        }

        public ReadOnlyMemory<byte> Memory { get; }

        public int Length => Memory.Length;

        public static Body CopyOf(in ReadOnlySequence<byte> bytes)
        {
            var length = checked((int)bytes.Length);
            var pooled = length <= PooledBytes;
            var body = new Body(pooled ? ArrayPool<byte>.Shared.Rent(length) : new byte[length], length, pooled);
            bytes.CopyTo(body._array);
            return body;
        }

        /// <summary>
        /// Gives a borrowed array back, emptied (a Build's environment may hold values no other renter in the process
        /// should see): nothing may read <see cref="Memory"/> afterwards.
        /// </summary>
        public void Dispose()
        {
            if (!_pooled) return;
            _array.AsSpan(0, Memory.Length).Clear();
            ArrayPool<byte>.Shared.Return(_array);
        }
    }
}
