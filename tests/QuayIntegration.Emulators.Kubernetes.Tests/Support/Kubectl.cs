using System.Diagnostics;
using System.Text;

namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

/// <summary>Runs a real kubectl binary against the emulator with an isolated kubeconfig and discovery cache.</summary>
public sealed class Kubectl(string binary, string kubeconfig, string cacheDir)
{
    public const string DefaultBinary = "/usr/bin/kubectl";
    public const string VersionedDirectory = "/usr/lib/google-cloud-sdk/bin";

    /// <summary>The named kubectl, or a failing assertion that says how to install it (these tests never skip).</summary>
    public static string Locate(string? version = null)
    {
        var candidates = version is null
            ? new[] { DefaultBinary }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "kubectl")))
            : [Path.Combine(VersionedDirectory, $"kubectl.{version}")];
        var found = candidates.FirstOrDefault(File.Exists);
        if (found is null)
            Assert.Fail($"kubectl{(version is null ? "" : " " + version)} is required by the kubectl fidelity tests but was not found (looked in {string.Join(", ", candidates.Take(3))}). Install it; these tests do not skip.");
        return found!;
    }

    /// <summary>Arguments are split on spaces; 'single quotes' group a literal argument (handy for JSON patches).</summary>
    private ProcessStartInfo Prepare(string arguments)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--kubeconfig", kubeconfig, "--cache-dir", cacheDir }.Concat(Split(arguments))) start.ArgumentList.Add(a);
        start.Environment["HOME"] = Path.GetDirectoryName(kubeconfig)!; // never touch the user's ~/.kube
        return start;
    }

    private static IEnumerable<string> Split(string arguments)
    {
        var current = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in arguments)
        {
            if (c == '\'' ) { quoted = !quoted; any = true; continue; }
            if (c == ' ' && !quoted)
            {
                if (any) yield return current.ToString();
                current.Clear();
                any = false;
                continue;
            }
            current.Append(c);
            any = true;
        }
        if (any) yield return current.ToString();
    }

    public async Task<(int Exit, string Out, string Err)> RunAsync(string arguments, string? stdin = null, TimeSpan? timeout = null)
    {
        var start = Prepare(arguments);
        start.RedirectStandardInput = stdin is not null;
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"kubectl {arguments} did not finish in time");
        }
        return (process.ExitCode, await output, await error);
    }

    public async Task<string> OkAsync(string arguments, string? stdin = null)
    {
        var (exit, stdout, stderr) = await RunAsync(arguments, stdin);
        Assert.True(exit == 0, $"kubectl {arguments} failed ({exit}): {stderr}{stdout}");
        return stdout;
    }

    /// <summary>Starts a long-running kubectl (e.g. <c>get -w</c>) and collects its output lines until disposed.</summary>
    public Streaming Start(string arguments)
    {
        return new Streaming(Process.Start(Prepare(arguments))!);
    }

    public sealed class Streaming : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _errors = new();

        public Streaming(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_errors) _errors.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output { get { lock (_output) return _output.ToString(); } }
        public string Errors { get { lock (_errors) return _errors.ToString(); } }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
            _process.Dispose();
        }
    }
}
