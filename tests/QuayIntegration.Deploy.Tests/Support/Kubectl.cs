using QuayIntegration.Testing;
using System.Diagnostics;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>
/// Real kubectl against a kubeconfig, with its own discovery cache directory (so runs never share or pollute
/// ~/.kube/cache). A missing binary fails the test: the manifests must be proven installable, never assumed.
/// </summary>
public sealed class Kubectl(string kubeconfigPath) : IDisposable
{
    private readonly string _cacheDir = Directory.CreateTempSubdirectory("kubectl-cache-").FullName;

    public static string Binary { get; } = Locate();

    private static string Locate()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "kubectl");
            if (File.Exists(candidate)) return candidate;
        }
        return "";
    }

    /// <summary>Runs kubectl and returns stdout; a non-zero exit fails with both streams.</summary>
    public async Task<string> RunAsync(params string[] args)
    {
        var (code, stdout, stderr) = await TryRunAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited with {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        return stdout;
    }

    public async Task<(int Code, string Stdout, string Stderr)> TryRunAsync(params string[] args)
    {
        Assert.True(Binary.Length > 0, "kubectl is not on PATH: these tests install deploy/ with the real kubectl and cannot run without it");
        var start = new ProcessStartInfo(Binary)
        {
            WorkingDirectory = Repo.Root,
        };
        foreach (var a in new[] { "--kubeconfig", kubeconfigPath, "--cache-dir", _cacheDir }.Concat(args)) start.ArgumentList.Add(a);
        start.Environment["KUBECONFIG"] = kubeconfigPath;
        start.Environment["HOME"] = _cacheDir; // nothing read from or written to the real ~/.kube
        return await ChildProcess.RunAsync(start, TimeSpan.FromSeconds(60));
    }

    public void Dispose()
    {
        try { Directory.Delete(_cacheDir, recursive: true); } catch (IOException) { }
    }
}
