using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Sandbox.World;

/// <summary>
/// The real operator binary (<c>QuayIntegration.Operator.dll</c>, built beside the sandbox, run with <c>dotnet</c>; or
/// the executable <see cref="OperatorBinary.Variable"/> names) run as a child process, connected to the emulated cluster through a kubeconfig exactly as it would be run outside a cluster.
/// Its log goes to a file and the last lines are kept to explain a step that times out.
/// </summary>
public sealed class OperatorProcess : IAsyncDisposable
{
    private const int KeptLogLines = 40;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private readonly Task _pumps;

    private OperatorProcess(Process process, StreamWriter log, string logPath, int metricsPort, int webhookPort, int? secureMetricsPort)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        MetricsPort = metricsPort;
        WebhookPort = webhookPort;
        SecureMetricsPort = secureMetricsPort;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    public int Id => _process.Id;
    public string LogPath { get; }
    public int MetricsPort { get; }
    public int WebhookPort { get; }
    /// <summary>/healthz, /readyz, and /metrics unless they are secure.</summary>
    public string MetricsUrl => $"http://127.0.0.1:{MetricsPort}";
    /// <summary>The HTTPS port of /metrics when the operator serves them securely (deploy/'s setting), else null.</summary>
    public int? SecureMetricsPort { get; }
    /// <summary>Where /metrics is served: over HTTPS to authorized tokens, or plain.</summary>
    public string MetricsEndpoint => SecureMetricsPort is { } port ? $"https://127.0.0.1:{port}/metrics" : $"{MetricsUrl}/metrics";
    public string WebhookUrl => $"https://127.0.0.1:{WebhookPort}";
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The operator's dll as built into this binary's directory by the project reference.</summary>
    public static string BinaryPath => Path.Combine(AppContext.BaseDirectory, "QuayIntegration.Operator.dll");

    /// <param name="secureMetrics">Serve /metrics as deploy/ does (HTTPS, token and RBAC checked) instead of plain HTTP.</param>
    public static OperatorProcess Start(string kubeconfig, string operatorNamespace, string webhookCertDir, string logPath, bool secureMetrics = false)
    {
        if (!File.Exists(BinaryPath)) throw new FileNotFoundException("The operator binary is not beside the sandbox; build tests/QuayIntegration.Sandbox.", BinaryPath);
        var metricsPort = FreePort();
        var webhookPort = FreePort();
        int? secureMetricsPort = secureMetrics ? FreePort() : null;
        var (fileName, prefix) = OperatorBinary.Command(BinaryPath);
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in prefix) start.ArgumentList.Add(arg);
        foreach (var arg in new[]
                 {
                     "--kubeconfig", kubeconfig,
                     "--bind-address", "127.0.0.1",
                     "--metrics-port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--webhook-port", webhookPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--leader-election-namespace", operatorNamespace,
                     // A demo should recover from a transient failure in seconds, not the default 5-minute backoff cap.
                     "--Operator:Controller:BackoffMax=00:00:05",
                 })
        {
            start.ArgumentList.Add(arg);
        }
        if (secureMetricsPort is { } securePort)
        {
            start.ArgumentList.Add("--metrics-secure=true");
            start.ArgumentList.Add("--metrics-secure-port=" + securePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        // The variables the Deployment sets in a cluster (deploy/base/deployment.yaml).
        start.Environment["POD_NAMESPACE"] = operatorNamespace;
        start.Environment["WEBHOOK_CERT_DIR"] = webhookCertDir;
        // Not inherited from `dotnet test`/`dotnet run`: the operator must start as a plain production process.
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("the operator process did not start");
        return new OperatorProcess(process, log, logPath, metricsPort, webhookPort, secureMetricsPort);
    }

    /// <summary>The last log lines, rendered for a person (the operator logs compact JSON).</summary>
    public IReadOnlyList<string> LastLogLines(int count = 15)
    {
        lock (_gate) return _tail.TakeLast(count).Select(Render).ToList();
    }

    /// <summary>
    /// SIGTERM first (the operator releases its Lease and stops its informers), a hard kill if it has not exited after
    /// <paramref name="grace"/>.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        if (!OperatingSystem.IsWindows() && SendSigterm(_process.Id) == 0)
        {
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
                return;
            }
            catch (OperationCanceledException)
            {
            }
        }
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        try
        {
            await _pumps.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
        }
        lock (_gate) _log.Dispose();
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_gate)
            {
                _log.WriteLine(line);
                _tail.Enqueue(line);
                if (_tail.Count > KeptLogLines) _tail.Dequeue();
            }
        }
    }

    /// <summary>Serilog's compact JSON (<c>@t</c>, <c>@l</c>, <c>@m</c>, <c>@x</c>) as one readable line; other lines as they are.</summary>
    private static string Render(string line)
    {
        if (!line.StartsWith('{')) return line;
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var time = root.TryGetProperty("@t", out var t) && t.TryGetDateTimeOffset(out var at) ? at.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) : "";
            var level = root.TryGetProperty("@l", out var l) ? l.GetString() ?? "Information" : "Information";
            var message = root.TryGetProperty("@m", out var m) ? m.GetString() : line;
            var exception = root.TryGetProperty("@x", out var x) ? " | " + x.GetString()?.Split('\n')[0] : "";
            return $"{time} {level[..3].ToUpperInvariant()} {message}{exception}";
        }
        catch (JsonException)
        {
            return line;
        }
    }

    /// <summary>The dotnet host running us (set by the SDK for `dotnet run`/`dotnet test`), else `dotnet` from PATH.</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static int SendSigterm(int pid)
    {
        try
        {
            return Kill(pid, 15);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }
}
