using System.Diagnostics;

namespace QuayIntegration.Sandbox.Steps;

/// <summary>A step's evidence was not observed: says what was awaited and what was last seen instead.</summary>
public sealed class StepFailedException(string message) : Exception(message)
{
    /// <summary>What went wrong, in the words of whoever refused (the API server's message rather than a stack trace).</summary>
    public static string Describe(Exception e) => e switch
    {
        StepFailedException => e.Message,
        k8s.Autorest.HttpOperationException h => $"the API server answered {(int)h.Response.StatusCode}: {h.Response.Content}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}

/// <summary>
/// Waits for a condition the operator and the emulated cluster bring about asynchronously. Every probe reads the
/// current state back (API server or Quay) and either returns the evidence or says what it saw; nothing is assumed.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>One look at the world: <see cref="Value"/> when the condition holds, else <see cref="Seen"/> describes what is there.</summary>
    public readonly record struct Probe<T>(T? Value, string? Seen)
    {
        public static Probe<T> Done(T value) => new(value, null);
        public static Probe<T> NotYet(string seen) => new(default, seen);
    }

    /// <summary>Polls until the probe yields a value; throws <see cref="StepFailedException"/> naming <paramref name="what"/> on timeout.</summary>
    public static async Task<(T Value, TimeSpan Elapsed)> WaitAsync<T>(string what, TimeSpan timeout, Func<CancellationToken, Task<Probe<T>>> probe,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        string? lastSeen = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var result = await probe(cancellationToken);
                if (result.Value is { } value && result.Seen is null) return (value, clock.Elapsed);
                lastSeen = result.Seen;
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not StepFailedException)
            {
                // A transient error (connection reset, 5xx) is an observation too, not a reason to stop waiting.
                lastSeen = $"{e.GetType().Name}: {e.Message}";
            }
            if (clock.Elapsed >= timeout)
            {
                throw new StepFailedException($"timed out after {timeout.TotalSeconds:0.#}s waiting for {what}" +
                    (lastSeen is null ? "" : $"; last seen: {lastSeen}"));
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
