using System.Diagnostics;

namespace QuayIntegration.Testing;

/// <summary>A real program run to its end by a test (kubectl, promtool, the operator's own process).</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="start"/> with both streams captured and waits for it: its exit code, standard output and
    /// standard error. After <paramref name="timeout"/> it is killed with its children and the wait fails, naming it.
    /// </summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(start.FileName)} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
