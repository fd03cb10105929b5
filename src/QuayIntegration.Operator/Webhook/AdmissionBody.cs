using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
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

    /// <summary>
    /// A body not whole at the first read must be whole within this. The API server waits for a webhook at most 30 s
    /// (the most timeoutSeconds allows; deploy/ says 5), so a body still arriving later serves no caller. Kestrel's
    /// minimum data rate alone does not bound it: the rate is an average since the body began, which a client that sends
    /// most of a large body at once and then stalls keeps above the floor for hours, holding those bytes all along.
    /// </summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most bytes that bodies still arriving may hold at once, across all connections: within the deadline, many
    /// connections each holding a partial body of up to <see cref="MaxBytes"/> would otherwise add up to more than the
    /// pod's memory. A body that would pass it is refused with a 429; a whole body read at once holds nothing here.
    /// </summary>
    public const long HeldBudget = 64L * 1024 * 1024;

    /// <summary>
    /// The most of <see cref="HeldBudget"/> the bodies from one client address may hold: a quarter, so that one pod
    /// holding partial bodies cannot take the whole budget from the API server's own large reviews.
    /// </summary>
    public const long HeldPerAddress = HeldBudget / 4;

    /// <summary>Refusals past <see cref="HeldBudget"/> and <see cref="HeldPerAddress"/> (the answer's text, never the client's bytes).</summary>
    public const string TooManyBodies = "too many request bodies are arriving at once";
    public const string TooManyBodiesFromAddress = "too many request bodies are arriving at once from this address";

    private static long s_held;
    private static readonly ConcurrentDictionary<IPAddress, StrongBox<long>> s_heldByAddress = new();

    /// <summary>The body, or null when it is larger than <see cref="MaxBytes"/> (the rest is left unread). Dispose it once done with it.</summary>
    /// <exception cref="BadHttpRequestException">
    /// Kestrel's own limit tripped first, or the client sent broken or slow HTTP; 408 past <see cref="Deadline"/>, 429
    /// past <see cref="HeldBudget"/> or <see cref="HeldPerAddress"/>.
    /// </exception>
    public static async ValueTask<Body?> ReadAsync(HttpContext context)
    {
        // Kestrel enforces the same limit while reading (as a BadHttpRequestException, 413); the count below holds for
        // any server or protocol where that feature is missing or already read-only.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } kestrelLimit) kestrelLimit.MaxRequestBodySize = MaxBytes;
        if (context.Request.ContentLength > MaxBytes) return null;

        var reader = context.Request.BodyReader;
        var read = await reader.ReadAsync(context.RequestAborted);
        // The common case, a review of a few kilobytes whole at the first read, needs no timer.
        return read.IsCompleted || read.Buffer.Length > MaxBytes ? Take(reader, read) : await ReadRestAsync(context, reader, read);
    }

    /// <summary>The rest of a body that was not whole at the first read, within <see cref="Deadline"/> and <see cref="HeldBudget"/>.</summary>
    private static async ValueTask<Body?> ReadRestAsync(HttpContext context, PipeReader reader, ReadResult read)
    {
        // The pending read is cancelled, not its token: a read cancelled by its token leaves Kestrel's body reader
        // broken, and Kestrel then logs an error when it drains what is left of the body after the answer.
        using var deadline = new CancellationTokenSource(Deadline);
        await using var cut = deadline.Token.Register(static r => ((PipeReader)r!).CancelPendingRead(), reader);
        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        // An entry goes once its address holds nothing; one taken just before that counts apart from a new one, which
        // can only make the share more lenient for a moment, never leave bytes counted.
        var byAddress = s_heldByAddress.GetOrAdd(address, static _ => new StrongBox<long>());
        long held = 0;
        try
        {
            while (!read.IsCompleted && read.Buffer.Length <= MaxBytes)
            {
                var buffer = read.Buffer;
                var more = buffer.Length - held;
                held = buffer.Length;
                // Both counted (no short circuit), as the finally takes both back.
                var overall = Interlocked.Add(ref s_held, more) > HeldBudget;
                var fromAddress = Interlocked.Add(ref byAddress.Value, more) > HeldPerAddress;
                if (overall || fromAddress)
                {
                    reader.AdvanceTo(buffer.End);
                    throw new BadHttpRequestException(fromAddress ? TooManyBodiesFromAddress : TooManyBodies, StatusCodes.Status429TooManyRequests);
                }
                reader.AdvanceTo(buffer.Start, buffer.End); // nothing consumed, all examined: wait for more
                read = await reader.ReadAsync(context.RequestAborted);
                // Kestrel cancels a pending read of its own when the server stops gracefully: the body is read on.
                if (read.IsCanceled && deadline.IsCancellationRequested && !read.IsCompleted)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    throw new BadHttpRequestException("the body did not arrive in time", StatusCodes.Status408RequestTimeout);
                }
            }
            return Take(reader, read);
        }
        finally
        {
            Interlocked.Add(ref s_held, -held);
            if (Interlocked.Add(ref byAddress.Value, -held) == 0) s_heldByAddress.TryRemove(new KeyValuePair<IPAddress, StrongBox<long>>(address, byAddress));
        }
    }

    /// <summary>A whole body copied out of the connection's buffers, or null when it is over <see cref="MaxBytes"/>.</summary>
    private static Body? Take(PipeReader reader, ReadResult read)
    {
        var buffer = read.Buffer;
        if (buffer.Length > MaxBytes)
        {
            reader.AdvanceTo(buffer.End);
            return null;
        }
        var body = Body.CopyOf(buffer);
        reader.AdvanceTo(buffer.End);
        return body;
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
