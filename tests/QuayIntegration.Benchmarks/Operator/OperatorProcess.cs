using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace QuayIntegration.Benchmarks.Operator;

/// <summary>What to start and how to configure it.</summary>
public sealed record OperatorLaunch(
    string KubeconfigPath,
    string LeaderElectionNamespace,
    int? Workers,
    int QuayMaxConcurrency,
    string LogPath,
    string? Command = null,
    string? WebhookCertDir = null,
    IReadOnlyList<string>? ExtraArgs = null);

/// <summary>
/// The operator as a separate process: started from a command line (default: this repository's Release build),
/// with the kubeconfig and options on its command line, output captured to a log file, peak RSS (VmHWM) sampled
/// from /proc and the time from process start to the first 200 of /readyz. Disposing kills the process tree, so
/// no exit path of a scenario leaves it running.
/// </summary>
public sealed class OperatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stopwatch _sinceStart;
    private readonly StreamWriter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private long _peakRssKb;
    private long _lastRssKb;

    private OperatorProcess(Process process, Stopwatch sinceStart, StreamWriter log, int metricsPort, int? webhookPort, string logPath)
    {
        _process = process;
        _sinceStart = sinceStart;
        _log = log;
        MetricsUrl = $"http://127.0.0.1:{metricsPort}";
        WebhookUrl = webhookPort is { } p ? $"https://127.0.0.1:{p}" : null;
        LogPath = logPath;
        _sampler = Task.Run(SampleMemoryAsync);
    }

    public string MetricsUrl { get; }
    public string? WebhookUrl { get; }
    public string LogPath { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Why a run ended before every namespace was set up: the operator's exit (a lost Lease, a crash: its log says
    /// which) or the scenario's timeout.
    /// </summary>
    public string WhyUnfinished(TimeSpan timeout) =>
        _process.HasExited ? $"the operator exited with code {_process.ExitCode} (see its log)" : $"not within {timeout.TotalSeconds:N0} s";

    /// <summary>The highest VmHWM seen (the kernel's own peak of resident memory), in bytes.</summary>
    public long PeakRssBytes => Math.Max(Interlocked.Read(ref _peakRssKb), ReadStatusKb("VmHWM") ?? 0) * 1024;

    public long CurrentRssBytes => (ReadStatusKb("VmRSS") ?? Interlocked.Read(ref _lastRssKb)) * 1024;

    /// <summary>Time from Process.Start to the first 200 of /readyz.</summary>
    public TimeSpan? ReadyAfter { get; private set; }

    public static OperatorProcess Start(OperatorLaunch launch)
    {
        var metricsPort = FreePort();
        int? webhookPort = launch.WebhookCertDir is null ? null : FreePort();
        var (fileName, prefix) = ResolveCommand(launch.Command);

        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = World.RepositoryRoot.Path,
        };
        foreach (var arg in prefix) start.ArgumentList.Add(arg);
        string[] args =
        [
            "--kubeconfig", launch.KubeconfigPath,
            "--bind-address", "127.0.0.1",
            "--metrics-port", metricsPort.ToString(),
            "--quay-max-concurrency", launch.QuayMaxConcurrency.ToString(),
            "--leader-election-namespace", launch.LeaderElectionNamespace,
        ];
        foreach (var arg in args) start.ArgumentList.Add(arg);
        if (launch.Workers is { } workers)
        {
            start.ArgumentList.Add("--workers");
            start.ArgumentList.Add(workers.ToString());
        }
        if (webhookPort is { } wp)
        {
            start.ArgumentList.Add("--webhook-port");
            start.ArgumentList.Add(wp.ToString());
            start.Environment["WEBHOOK_CERT_DIR"] = launch.WebhookCertDir;
        }
        else
        {
            start.Environment["DISABLE_WEBHOOK"] = "true";
        }
        foreach (var arg in launch.ExtraArgs ?? []) start.ArgumentList.Add(arg);
        // The kubeconfig is passed explicitly; an inherited KUBECONFIG must not point the operator at a real cluster.
        start.Environment.Remove("KUBECONFIG");

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(launch.LogPath))!);
        var log = new StreamWriter(launch.LogPath, append: false) { AutoFlush = true };
        log.WriteLine($"# {fileName} {string.Join(' ', start.ArgumentList)}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        LogOutput(process, log);
        var sinceStart = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new OperatorProcess(process, sinceStart, log, metricsPort, webhookPort, launch.LogPath);
    }

    /// <summary>Polls /readyz until 200; fails early if the process exits.</summary>
    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = _sinceStart.Elapsed + timeout;
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The operator exited with code {_process.ExitCode} before it was ready; see {LogPath}.");
            try
            {
                using var response = await _http.GetAsync(MetricsUrl + "/readyz", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ReadyAfter = _sinceStart.Elapsed;
                    return ReadyAfter.Value;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            if (_sinceStart.Elapsed > deadline) throw new TimeoutException($"The operator was not ready within {timeout.TotalSeconds:N0} s; see {LogPath}.");
            await Task.Delay(20, ct);
        }
    }

    public async Task<string> GetMetricsAsync(CancellationToken ct) => await _http.GetStringAsync(MetricsUrl + "/metrics", ct);

    private async Task SampleMemoryAsync()
    {
        // VmHWM is already the kernel's peak; sampling only guards against losing it when the process exits.
        while (!_stop.IsCancellationRequested)
        {
            if (ReadStatusKb("VmHWM") is { } hwm) InterlockedMax(ref _peakRssKb, hwm);
            if (ReadStatusKb("VmRSS") is { } rss) Interlocked.Exchange(ref _lastRssKb, rss);
            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private long? ReadStatusKb(string field)
    {
        try
        {
            return StatusKb(_process.Id, field);
        }
        catch (InvalidOperationException)
        {
            return null; // not started, or gone
        }
    }

    /// <summary>A field of /proc/&lt;pid&gt;/status in kB (VmHWM, VmRSS); null when the process is gone.</summary>
    internal static long? StatusKb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1]);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>Every line the process writes, to stdout or stderr, goes to <paramref name="log"/> (one writer, two threads).</summary>
    internal static void LogOutput(Process process, StreamWriter log)
    {
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while ((current = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>
    /// --operator-command runs through <c>sh -c 'exec &lt;command&gt; "$@"'</c>, so the measured process is the command
    /// itself, not a shell; without it, the hack/publish.sh output of src/QuayIntegration.Operator (published when missing or stale).
    /// </summary>
    private static (string FileName, string[] Prefix) ResolveCommand(string? command)
    {
        if (!string.IsNullOrWhiteSpace(command)) return ("/bin/sh", ["-c", $"exec {command} \"$@\"", "operator"]);
        return (OperatorBuild.EnsurePublished(), []);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }
        await _sampler;
        _http.Dispose();
        lock (_log) _log.Dispose();
        _process.Dispose();
    }
}

/// <summary>
/// Publishes this repository's operator with <c>hack/publish.sh</c> (Native AOT, exactly what the Dockerfile ships)
/// into <c>artifacts/benchmark-operator</c> when the output is missing or older than a source file or the script. Every
/// project under <c>src/</c> counts, not only the operator's: a change to the runtime library it references is a change
/// to the operator measured.
/// </summary>
public static class OperatorBuild
{
    private static readonly Lock Gate = new();

    /// <summary>
    /// When the newest input of the published operator was written: sources, project files and JSON under
    /// <paramref name="sources"/> (build outputs aside), the publish script, and every directory on the way. A
    /// directory counts because deleting or renaming a file changes nothing but its directory's time: without it, a
    /// source file taken out left the harness measuring a build that still had it.
    /// </summary>
    public static DateTime NewestInput(string sources, string script) =>
        Directory.EnumerateFileSystemEntries(sources, "*", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(path))
            .Where(path => Directory.Exists(path) || path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".csproj", StringComparison.Ordinal) || path.EndsWith(".json", StringComparison.Ordinal))
            .Append(sources)
            .Select(path => Directory.Exists(path) ? Directory.GetLastWriteTimeUtc(path) : File.GetLastWriteTimeUtc(path))
            .Append(File.GetLastWriteTimeUtc(script))
            .Max();

    private static bool IsBuildOutput(string path)
    {
        var separator = Path.DirectorySeparatorChar;
        return path.Contains($"{separator}bin{separator}", StringComparison.Ordinal) || path.Contains($"{separator}obj{separator}", StringComparison.Ordinal)
            || path.EndsWith($"{separator}bin", StringComparison.Ordinal) || path.EndsWith($"{separator}obj", StringComparison.Ordinal);
    }

    public static string EnsurePublished()
    {
        var root = World.RepositoryRoot.Path;
        var sources = Path.Combine(root, "src");
        var script = Path.Combine(root, "hack", "publish.sh");
        var output = Path.Combine(root, "artifacts", "benchmark-operator");
        var executable = Path.Combine(output, "QuayIntegration.Operator");
        lock (Gate)
        {
            if (File.Exists(executable) && File.GetLastWriteTimeUtc(executable) >= NewestInput(sources, script)) return executable;

            Console.WriteLine("Publishing the operator: hack/publish.sh artifacts/benchmark-operator (Native AOT, about two minutes) ...");
            var publish = Process.Start(new ProcessStartInfo("bash", [script, output])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stdout = publish.StandardOutput.ReadToEndAsync();
            var stderr = publish.StandardError.ReadToEndAsync();
            publish.WaitForExit();
            if (publish.ExitCode != 0 || !File.Exists(executable))
                throw new InvalidOperationException($"hack/publish.sh of the operator failed ({publish.ExitCode}):\n{stdout.Result}{stderr.Result}");
            // The publish keeps the assemblies' own timestamps; mark the moment so an unchanged tree is not published again.
            File.SetLastWriteTimeUtc(executable, DateTime.UtcNow);
            return executable;
        }
    }
}
