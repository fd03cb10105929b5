using System.Diagnostics;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>The real kubectl (a client nobody here wrote) against the emulated cluster, with a throwaway discovery cache.</summary>
public static class Kubectl
{
    public static async Task<string> RunAsync(string kubeconfig, params string[] arguments)
    {
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists)
                     ?? throw new InvalidOperationException("kubectl is required on PATH for this test (it is installed on the project's machines)");
        var cache = Directory.CreateTempSubdirectory("kubectl-cache-");
        try
        {
            var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--kubeconfig", kubeconfig, "--cache-dir", cache.FullName }.Concat(arguments)) start.ArgumentList.Add(a);
            start.Environment["HOME"] = cache.FullName; // never the user's ~/.kube
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0) throw new InvalidOperationException($"kubectl {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
            return await output;
        }
        finally
        {
            cache.Delete(recursive: true);
        }
    }
}
