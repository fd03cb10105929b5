using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Sandbox.World;

/// <summary>What Prometheus scrapes: one job, one target, the way deploy/monitoring's ServiceMonitor scrapes in a cluster.</summary>
/// <param name="Job">The job label (in a cluster the ServiceMonitor's Service name, <c>quay-integration-metrics</c>).</param>
/// <param name="Address">host:port.</param>
/// <param name="Scheme">http (the sandbox's plain metrics) or https (secure metrics).</param>
/// <param name="BearerTokenFile">The scraper's service-account token, sent as <c>Authorization: Bearer</c>; null sends none.</param>
/// <param name="InsecureSkipVerify">For the operator's self-signed metrics certificate (the token is what grants access).</param>
public sealed record PrometheusTarget(string Job, string Address, string Scheme, string? BearerTokenFile, bool InsecureSkipVerify);

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package) run as a child process: scraping every second, evaluating the
/// alerting rules of deploy/monitoring/prometheus_rule.yaml every second, on a loopback port, with its data and log in a
/// directory of its own. Stopped (and its data removed) on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string MetricsJob = "quay-integration-metrics";
    private readonly Process _process;
    private readonly string _directory;
    private readonly Task _pumps;
    private readonly StreamWriter _log;

    private PrometheusServer(Process process, string directory, int port, StreamWriter log)
    {
        _process = process;
        _directory = directory;
        _log = log;
        Url = $"http://127.0.0.1:{port}";
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    public string Url { get; }
    public string LogPath => Path.Combine(_directory, "prometheus.log");
    public string RulesPath => Path.Combine(_directory, "rules.yaml");

    /// <summary>prometheus on PATH, or null.</summary>
    public static string? Binary =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "prometheus")).FirstOrDefault(File.Exists);

    /// <summary>
    /// Starts Prometheus with the rule groups of the PrometheusRule at <paramref name="prometheusRulePath"/> and waits
    /// until it is ready.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(string directory, string prometheusRulePath, IReadOnlyList<PrometheusTarget> targets,
        CancellationToken ct)
    {
        var binary = Binary ?? throw new InvalidOperationException("prometheus is not on PATH (apt-get install -y prometheus)");
        Directory.CreateDirectory(directory);
        // A PrometheusRule's spec is a Prometheus rules file (groups); JSON is YAML, so it is written as JSON.
        var rule = YamlJson.LoadSingle(await File.ReadAllTextAsync(prometheusRulePath, ct));
        var rules = rule["spec"]?.DeepClone() ?? throw new InvalidDataException($"{prometheusRulePath} has no spec");
        await File.WriteAllTextAsync(Path.Combine(directory, "rules.yaml"), rules.ToJsonString(), ct);

        var config = new JsonObject
        {
            ["global"] = new JsonObject { ["scrape_interval"] = "1s", ["scrape_timeout"] = "1s", ["evaluation_interval"] = "1s" },
            ["rule_files"] = new JsonArray("rules.yaml"),
            ["scrape_configs"] = new JsonArray(targets.Select(t =>
            {
                var job = new JsonObject
                {
                    ["job_name"] = t.Job,
                    ["scheme"] = t.Scheme,
                    ["metrics_path"] = "/metrics",
                    ["static_configs"] = new JsonArray(new JsonObject { ["targets"] = new JsonArray(t.Address) }),
                };
                if (t.Scheme == "https") job["tls_config"] = new JsonObject { ["insecure_skip_verify"] = t.InsecureSkipVerify };
                if (t.BearerTokenFile is not null) job["authorization"] = new JsonObject { ["type"] = "Bearer", ["credentials_file"] = t.BearerTokenFile };
                return (JsonNode)job;
            }).ToArray()),
        };
        var configPath = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config.ToJsonString(), ct);

        var port = FreePort();
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in new[]
                 {
                     "--config.file=" + configPath,
                     "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                     "--web.listen-address=127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--web.console.templates=" + Path.Combine(directory, "consoles"),
                     "--web.console.libraries=" + Path.Combine(directory, "console_libraries"),
                     "--log.level=warn",
                 })
        {
            start.ArgumentList.Add(arg);
        }
        var log = new StreamWriter(Path.Combine(directory, "prometheus.log"), append: false) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var server = new PrometheusServer(process, directory, port, log);
        try
        {
            await server.WaitReadyAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                await _pumps;
                throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode} before it was ready:\n{string.Join('\n', LastLogLines())}");
            }
            try
            {
                using var response = await http.GetAsync(Url + "/-/ready", ct);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"prometheus was not ready within 30 s; see {LogPath}");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>GET of an HTTP API path (e.g. <c>/api/v1/targets</c>); the JSON answer, whatever its status.</summary>
    public async Task<JsonObject> GetAsync(string pathAndQuery, CancellationToken ct = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(Url + pathAndQuery, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        return JsonNode.Parse(body) as JsonObject ?? throw new InvalidDataException($"prometheus answered {pathAndQuery} with {body}");
    }

    /// <summary>An instant query: the answer's <c>data.result</c> when the status is success, else an exception with Prometheus' error.</summary>
    public async Task<JsonArray> QueryAsync(string expression, CancellationToken ct = default)
    {
        var answer = await GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(expression), ct);
        if ((string?)answer["status"] != "success")
            throw new InvalidOperationException($"prometheus refused {expression}: {(string?)answer["errorType"]}: {(string?)answer["error"]}");
        return answer["data"]?["result"] as JsonArray ?? [];
    }

    /// <summary>The page that shows <paramref name="expression"/> in the table view of Prometheus' own UI.</summary>
    public string GraphUrl(string expression, bool table = true, string range = "15m") =>
        $"{Url}/graph?g0.expr={Uri.EscapeDataString(expression)}&g0.tab={(table ? 1 : 0)}&g0.range_input={range}";

    private readonly Queue<string> _tail = new();

    /// <summary>Prometheus's last log lines (it logs why it would not start there).</summary>
    public IReadOnlyList<string> LastLogLines()
    {
        lock (_log) return _tail.ToList();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                _log.WriteLine(line);
                _tail.Enqueue(line);
                if (_tail.Count > 10) _tail.Dequeue();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            await _process.WaitForExitAsync();
        }
        await _pumps;
        _process.Dispose();
        await _log.DisposeAsync();
        var data = Path.Combine(_directory, "data");
        if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
    }
}
