using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>
/// How many requests per second the emulated Quay answers on loopback under an operator-like mix: mostly reads of the
/// objects a reconcile looks at, plus robot create/delete pairs. Runs the emulator in-process unless --url is given.
/// </summary>
public sealed class QuayThroughputScenario : IScenario
{
    public string Name => "quay-throughput";

    public string Description => "requests/s of the emulated Quay v1 API under a read-mostly operator mix";

    public IReadOnlyList<(string Option, string Help)> OptionHelp =>
    [
        ("duration <s>", "measured seconds (default 10)"),
        ("warmup <s>", "unmeasured seconds first (default 2)"),
        ("concurrency <n>", "parallel clients (default 32)"),
        ("write-share <0..1>", "share of iterations doing a robot PUT+DELETE (default 0.2)"),
        ("https", "use HTTPS instead of plain HTTP"),
        ("url <base>", "benchmark an already running emulator (needs --token with all scopes)"),
        ("token <t>", "token for --url"),
    ];

    private sealed record Operation(string Name, HttpMethod Method, Func<int, long, string> Path, int ExpectedStatus);

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var duration = TimeSpan.FromSeconds(options.Double("duration", 10));
        var warmup = TimeSpan.FromSeconds(options.Double("warmup", 2));
        var concurrency = options.Int("concurrency", 32);
        var writeShare = options.Double("write-share", 0.2);
        var https = options.Flag("https");
        var externalUrl = options.String("url");
        var token = options.String("token") ?? "bench-token";
        if (externalUrl is not null && options.String("token") is null) throw new ArgumentException("--url needs --token.");

        QuayEmulator? emulator = null;
        try
        {
            string baseUrl;
            HttpMessageHandler handler;
            if (externalUrl is null)
            {
                emulator = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("bench", token, QuayScopes.All), cancellationToken);
                baseUrl = https ? emulator.BaseUrl : emulator.HttpBaseUrl;
                handler = emulator.CreateHttpMessageHandler(allowAutoRedirect: false);
            }
            else
            {
                baseUrl = externalUrl.TrimEnd('/');
                handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
            }

            using var client = new HttpClient(handler) { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var org = "bench" + Guid.NewGuid().ToString("N")[..8];
            await SetUpAsync(client, org, cancellationToken);

            Operation[] reads =
            [
                new("GET user", HttpMethod.Get, (_, _) => "api/v1/user/", 200),
                new("GET organization", HttpMethod.Get, (_, _) => $"api/v1/organization/{org}", 200),
                new("GET robot", HttpMethod.Get, (_, _) => $"api/v1/organization/{org}/robots/builder", 200),
                new("GET missing robot", HttpMethod.Get, (_, _) => $"api/v1/organization/{org}/robots/ghost", 400),
                new("GET repository", HttpMethod.Get, (_, _) => $"api/v1/repository/{org}/app", 200),
                new("GET tags", HttpMethod.Get, (_, _) => $"api/v1/repository/{org}/app/tag/", 200),
                new("GET prototypes", HttpMethod.Get, (_, _) => $"api/v1/organization/{org}/prototypes", 200),
            ];
            Operation[] writePair =
            [
                new("PUT robot", HttpMethod.Put, (w, n) => $"api/v1/organization/{org}/robots/w{w}n{n}", 201),
                new("DELETE robot", HttpMethod.Delete, (w, n) => $"api/v1/organization/{org}/robots/w{w}n{n}", 204),
            ];

            // Warm-up (JIT, connection pool, TLS sessions), then the measured run.
            await RunWorkersAsync(client, reads, writePair, concurrency, writeShare, warmup, cancellationToken);
            var emulatorCallsBefore = emulator?.Calls.Total ?? 0;
            var measured = await RunWorkersAsync(client, reads, writePair, concurrency, writeShare, duration, cancellationToken);

            var latencies = measured.Latencies;
            latencies.Sort();
            var seconds = measured.Elapsed.TotalSeconds;
            var throughput = measured.Requests / seconds;

            var result = new ScenarioResult { Scenario = Name };
            result.Parameters["target"] = externalUrl ?? (https ? "in-process, HTTPS" : "in-process, HTTP");
            result.Parameters["duration_s"] = duration.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            result.Parameters["concurrency"] = concurrency.ToString();
            result.Parameters["write_share"] = writeShare.ToString(System.Globalization.CultureInfo.InvariantCulture);
            result.Add("Throughput", throughput, "requests/s")
                .Add("Requests", measured.Requests, "count")
                .Add("Unexpected answers", measured.Errors, "count")
                .Add("Latency p50", Percentile(latencies, 0.50), "ms")
                .Add("Latency p95", Percentile(latencies, 0.95), "ms")
                .Add("Latency p99", Percentile(latencies, 0.99), "ms")
                .Add("Latency max", latencies.Count > 0 ? latencies[^1] : 0, "ms")
                .Add("Elapsed", seconds, "s");
            if (emulator is not null)
            {
                result.Add("Calls seen by the emulator", emulator.Calls.Total - emulatorCallsBefore, "count");
                result.Add("Unexpected server exceptions", emulator.UnexpectedExceptions.Count, "count");
            }
            foreach (var (operation, count) in measured.PerOperation.OrderBy(p => p.Key)) result.Add($"  {operation}", count, "count");
            result.Headline = $"quay-throughput: {throughput:N0} requests/s on {Environment.ProcessorCount} cores " +
                              $"({measured.Errors} unexpected answers, p99 {Percentile(latencies, 0.99):N1} ms)";
            return result;
        }
        finally
        {
            if (emulator is not null) await emulator.DisposeAsync();
        }
    }

    private static async Task SetUpAsync(HttpClient client, string org, CancellationToken cancellationToken)
    {
        async Task Expect(HttpMethod method, string path, string? json, int status)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await client.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode != status)
                throw new InvalidOperationException($"Set-up step {method} {path} answered {(int)response.StatusCode}, expected {status}.");
        }

        await Expect(HttpMethod.Post, "api/v1/organization/", $"{{\"name\":\"{org}\"}}", 201);
        await Expect(HttpMethod.Put, $"api/v1/organization/{org}/robots/builder", null, 201);
        await Expect(HttpMethod.Post, $"api/v1/organization/{org}/prototypes", $"{{\"role\":\"write\",\"delegate\":{{\"kind\":\"user\",\"name\":\"{org}+builder\"}}}}", 200);
        await Expect(HttpMethod.Post, "api/v1/repository", $"{{\"namespace\":\"{org}\",\"repository\":\"app\",\"visibility\":\"private\",\"description\":\"\"}}", 201);
    }

    private sealed class Measurement
    {
        public long Requests;
        public long Errors;
        public TimeSpan Elapsed;
        public List<double> Latencies { get; } = [];
        public Dictionary<string, long> PerOperation { get; } = new(StringComparer.Ordinal);
    }

    private static async Task<Measurement> RunWorkersAsync(HttpClient client, Operation[] reads, Operation[] writePair,
        int concurrency, double writeShare, TimeSpan duration, CancellationToken cancellationToken)
    {
        var total = new Measurement();
        var watch = Stopwatch.StartNew();
        var deadline = watch.Elapsed + duration;

        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var local = new Measurement();
            var random = new Random(worker);
            long iteration = 0;
            while (watch.Elapsed < deadline && !cancellationToken.IsCancellationRequested)
            {
                iteration++;
                var operations = random.NextDouble() < writeShare ? writePair : [reads[random.Next(reads.Length)]];
                foreach (var operation in operations)
                {
                    var started = Stopwatch.GetTimestamp();
                    int status;
                    try
                    {
                        using var request = new HttpRequestMessage(operation.Method, operation.Path(worker, iteration));
                        using var response = await client.SendAsync(request, cancellationToken);
                        await response.Content.ReadAsByteArrayAsync(cancellationToken);
                        status = (int)response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        status = 0;
                    }
                    local.Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    local.Requests++;
                    if (status != operation.ExpectedStatus) local.Errors++;
                    local.PerOperation[operation.Name] = local.PerOperation.GetValueOrDefault(operation.Name) + 1;
                }
            }
            return local;
        }, cancellationToken)).ToList();

        foreach (var local in await Task.WhenAll(workers))
        {
            total.Requests += local.Requests;
            total.Errors += local.Errors;
            total.Latencies.AddRange(local.Latencies);
            foreach (var (name, count) in local.PerOperation) total.PerOperation[name] = total.PerOperation.GetValueOrDefault(name) + count;
        }
        total.Elapsed = watch.Elapsed;
        return total;
    }

    private static double Percentile(List<double> sorted, double percentile) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile * sorted.Count) - 1)];
}
