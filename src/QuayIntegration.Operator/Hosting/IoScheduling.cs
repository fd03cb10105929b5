using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Where the code that follows a socket read or write runs. By default .NET's socket engine hands each completion to
/// a thread-pool worker; for an admission review, a few microseconds of work between one read and one write, that
/// hand-off (a futex wake and wait, two context switches) was a third of the operator's CPU at 1,000 reviews a second
/// on 2 cores (perf, 2026-12-05). The webhook's connections therefore complete inline, on the socket engine's own
/// thread, and Kestrel runs their requests there too (its <c>UnsafePreferInlineScheduling</c>): about a third less CPU
/// per review (README, Benchmarks).
/// <para>
/// Only the webhook's connections, and only once their TLS handshake is done. Inline completions for the whole process
/// (the runtime's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>) cost the same, but would run every
/// continuation of every socket on the engine thread (one for up to 44 cores on x64), the watch streams decoding whole
/// LIST pages and the reconcilers after each Quay answer included, where one slow step stalls every other connection,
/// the leader-election lease renewal among them. What a webhook request does there is bounded: it reads its body,
/// decides from the caches (no locks held elsewhere for long) and writes its answer. What could take long or block
/// leaves the engine thread first (<see cref="LeaveSocketThreadAsync"/>): a large body's parsing, and every log line, since
/// the console sink writes synchronously and stdout can be a full pipe.
/// </para>
/// </summary>
public static class IoScheduling
{
    private static readonly Lazy<bool> Supported = new(Probe);

    /// <summary>
    /// Whether this runtime lets one socket complete inline. The switch is <c>Socket.PreferInlineCompletions</c>, an
    /// internal, experimental setter that the runtime keeps reachable from outside (trimming preserves it); a runtime
    /// without it, or where the probe cannot open a socket, leaves the webhook on the thread pool, as before, and the
    /// start log says so.
    /// </summary>
    public static bool InlineWebhookConnections => Supported.Value;

    /// <summary>Kestrel's part: a connection's requests run on the thread that completed its I/O, not through Kestrel's own queues.</summary>
    public static void RunConnectionsInline(SocketTransportOptions sockets) => sockets.UnsafePreferInlineScheduling = true;

    /// <summary>
    /// Continues on the thread pool when called on the socket engine's thread (or any thread outside the pool), at once
    /// otherwise: code about to block or run long awaits this first. Allocates only when it moves.
    /// </summary>
    public static ValueTask LeaveSocketThreadAsync() => Thread.CurrentThread.IsThreadPoolThread ? ValueTask.CompletedTask : ToThreadPoolAsync();

    private static async ValueTask ToThreadPoolAsync() => await Task.Yield();

    /// <summary>
    /// A connection middleware for a listener: each connection completes its socket I/O inline from here on. Added
    /// after <c>UseHttps</c>, so it runs once the handshake is done: the handshake's CPU (1–2 ms with an RSA key) and
    /// the serving certificate's file checks stay on the thread pool.
    /// </summary>
    public static void UseInlineCompletions(this ListenOptions listen) =>
        listen.Use(next => connection =>
        {
            // The engine reads the switch at every event, so setting it with a read already pending holds from the next
            // event on (the first may still be handed to the pool).
            if (Supported.Value && connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket) SetPreferInlineCompletions(socket, true);
            return next(connection);
        });

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PreferInlineCompletions")]
    private static extern void SetPreferInlineCompletions(Socket socket, bool value);

    private static bool Probe()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            SetPreferInlineCompletions(probe, true);
            return true;
        }
        catch (Exception e) when (e is MissingMethodException or SocketException or NotSupportedException)
        {
            return false;
        }
    }
}
