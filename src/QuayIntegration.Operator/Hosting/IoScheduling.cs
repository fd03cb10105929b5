namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Where the process runs the code that follows a socket read or write: on the socket engine's own thread (inline),
/// or handed to a thread-pool worker. The operator runs it inline. An admission review is a few microseconds of work
/// between a read and a write; handing each one to a worker woke a second thread per request (a futex wake and wait,
/// two context switches), which on a 2-core machine at 1,000 reviews a second was a third of the operator's CPU
/// (perf, 2026-12-05). Inline, the same load cost about 30 % less (README, Benchmarks; cold convergence unchanged).
/// The price is that code after an I/O completion must never block its thread, which would stall the other sockets
/// of that engine: nothing in the operator waits synchronously on I/O (no <c>.Result</c>, no <c>.Wait()</c> on a
/// pending task); long CPU work runs on the work queue's workers, which await, so it only borrows the thread until
/// its next await.
/// </summary>
public static class IoScheduling
{
    /// <summary>
    /// Read by .NET's socket engine from the process environment once, when the first socket is registered; there is
    /// no runtimeconfig switch for it. Set to anything but 1 (0) to hand completions to the thread pool again.
    /// </summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Makes inline the default for this process unless its environment already chose. Must run before the first
    /// socket is created (first thing in <c>Main</c>); in a process that already has sockets it changes nothing.
    /// </summary>
    public static void DefaultToInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null) Environment.SetEnvironmentVariable(Variable, "1");
    }

    /// <summary>
    /// Whether Kestrel runs its connections inline on the socket engine's thread (its <c>UnsafePreferInlineScheduling</c>)
    /// rather than through its own I/O queues. It follows the same setting, so one variable turns both off; unset
    /// (a host built inside another process, such as the tests) counts as inline.
    /// </summary>
    public static bool Inline => Environment.GetEnvironmentVariable(Variable) is null or "1";

    /// <summary>What .NET's socket engine reads: completions run inline only when the variable is exactly 1.</summary>
    public static bool SocketCompletionsInline => Environment.GetEnvironmentVariable(Variable) == "1";
}
