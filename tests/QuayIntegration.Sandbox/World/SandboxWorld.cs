using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Cluster;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Sandbox.Output;
using QuayIntegration.Sandbox.Steps;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Sandbox.World;

/// <summary>
/// Everything the walkthrough runs against, set up as a person installing the product would: the emulated Quay (a user
/// and an OAuth token with the scopes the operator documents), the emulated OpenShift cluster, the CRD and the operator
/// namespace from <c>deploy/</c>, the token Secret, the QuayIntegration from <c>deploy/samples/</c> pointed at the
/// emulated Quay, the real operator binary, and the webhook configuration from <c>deploy/</c>. Owns their lifetimes:
/// disposing stops the operator first (so it releases its Lease while the API server is still up), then the emulators.
/// </summary>
public sealed class SandboxWorld : IAsyncDisposable
{
    /// <summary>The token scopes the CRD documents for <c>credentialsSecret</c>.</summary>
    public const string TokenScopes = "org:admin repo:admin repo:create repo:read repo:write user:admin user:read";
    public const string QuayUser = "quayadmin";
    private const string QuayCaConfigMap = "quay-ca";
    private const string QuayCaKey = "ca-bundle.crt";

    private readonly Report _report;
    private readonly SandboxOptions _options;
    private QuayEmulator? _quay;
    private EmulatedCluster? _cluster;
    private IManifestApplier? _applier;
    private OperatorProcess? _operator;
    private PrometheusServer? _prometheus;

    private SandboxWorld(RepoLayout repo, string workDirectory, Report report, SandboxOptions options)
    {
        Repo = repo;
        WorkDirectory = workDirectory;
        _report = report;
        _options = options;
    }

    public RepoLayout Repo { get; }
    public string WorkDirectory { get; }
    public string KubeconfigPath => Path.Combine(WorkDirectory, "kubeconfig");
    /// <summary>The operator's own kubeconfig: a bound token of its service account, authorized by deploy/base/rbac.yaml only.</summary>
    public string OperatorKubeconfigPath => Path.Combine(WorkDirectory, "operator.kubeconfig");
    public string OperatorLogPath => Path.Combine(WorkDirectory, "operator.log");
    public QuayEmulator Quay => _quay ?? throw NotStarted();
    public EmulatedCluster Cluster => _cluster ?? throw NotStarted();
    public OperatorProcess? Operator => _operator;
    /// <summary>Prometheus scraping the operator with its alerts loaded, when asked for and installed.</summary>
    public PrometheusServer? Prometheus => _prometheus;
    public k8s.Kubernetes Kube => Cluster.Client;
    public OpenShiftCli Oc => Cluster.Oc;

    /// <summary>The QuayIntegration as the API server holds it (defaults from the CRD schema filled in).</summary>
    public JsonObject Integration { get; private set; } = new();
    public string IntegrationName => Integration.Str("metadata", "name") ?? "";
    /// <summary>Whether the operator answered on its webhook path, so the webhook configuration was installed for real.</summary>
    public bool WebhookServed { get; private set; }
    /// <summary>The webhook's namespaceSelector (from deploy/), which namespaces the operator sets up must match.</summary>
    public NamespaceSelector WebhookNamespaceSelector { get; private set; } = NamespaceSelector.Parse(null);

    public static async Task<SandboxWorld> StartAsync(SandboxOptions options, Report report, CancellationToken cancellationToken)
    {
        var repo = RepoLayout.Find();
        var world = new SandboxWorld(repo, options.WorkDirectory ?? repo.SandboxDirectory, report, options);
        try
        {
            await world.SetUpAsync(cancellationToken);
            return world;
        }
        catch (Exception e)
        {
            if (e is not OperationCanceledException)
            {
                report.Fail(StepFailedException.Describe(e));
                world.ReportOperatorLog();
            }
            await world.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(WorkDirectory);
        _report.Section("Setting up the sandbox");

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        _quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken(QuayUser, token, QuayScopeNames.Parse(TokenScopes)), ct);
        _report.Ok("emulated Quay", $"{_quay.BaseUrl}  (registry {_quay.RegistryHost}; user {QuayUser} with an OAuth token: {TokenScopes})");

        var clusterOptions = new EmulatedClusterOptions { KubeconfigPath = KubeconfigPath };
        // The cluster's nodes (build pushes) and its image imports trust the Quay's private CA, as on a real cluster configured for it.
        clusterOptions.RegistryCaCertificatesPem.Add(_quay.CaCertificatePem);
        _cluster = await EmulatedCluster.StartAsync(clusterOptions, cancellationToken: ct);
        _report.Ok("emulated OpenShift", $"{_cluster.BaseUrl}  (kubeconfig {Repo.Relative(KubeconfigPath)})");

        _applier = IManifestApplier.Create(KubeconfigPath, _options.PreferKubectl, Repo);
        _report.Ok("manifests applied with", _applier.Description);

        foreach (var crd in Repo.Crds) await ApplyFileAsync(crd, dryRun: false, ct);
        await Eventually.WaitAsync("the QuayIntegration resource to be served", _options.StepTimeout, async t =>
        {
            await Kube.CustomObjects.ListClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", cancellationToken: t);
            return Eventually.Probe<bool>.Done(true);
        }, ct);
        await ApplyFileAsync(Repo.OperatorNamespace, dryRun: false, ct);
        var operatorNamespace = YamlJson.LoadSingle(await File.ReadAllTextAsync(Repo.OperatorNamespace, ct)).Str("metadata", "name")!;

        await CreateIntegrationAsync(token, ct);

        var webhook = WebhookManifest.Parse(YamlJson.LoadSingle(await File.ReadAllTextAsync(Repo.WebhookConfiguration, ct)));
        var certificates = WebhookCertificates.Create(Path.Combine(WorkDirectory, "webhook-certs"),
            webhook.ServiceName ?? operatorNamespace, webhook.ServiceNamespace ?? operatorNamespace);
        var serviceAccount = await InstallOperatorIdentityAsync(operatorNamespace, ct);
        _operator = OperatorProcess.Start(OperatorKubeconfigPath, operatorNamespace, certificates.Directory, OperatorLogPath, _options.SecureMetrics);
        // What actually runs: the built dll, or the executable QUAYINTEGRATION_OPERATOR names (the Native AOT one in CI).
        var (program, prefix) = OperatorBinary.Command(OperatorProcess.BinaryPath);
        var command = prefix.Count > 0 ? $"dotnet {Repo.Relative(prefix[0])}" : Repo.Relative(program);
        _report.Ok("operator started", $"pid {_operator.Id}: {command} --kubeconfig {Repo.Relative(OperatorKubeconfigPath)} (as {serviceAccount}; log {Repo.Relative(OperatorLogPath)})");
        var (health, healthAfter) = await Eventually.WaitAsync("the operator's /readyz to answer 200 (informer caches synced)", _options.StepTimeout, ProbeReadyAsync, ct);
        _report.Ok("operator ready", $"{_operator.MetricsUrl}/readyz → {health}  ({Seconds(healthAfter)})");

        await InstallWebhookConfigurationAsync(webhook, certificates, ct);

        var (ready, readyAfter) = await Eventually.WaitAsync($"QuayIntegration {IntegrationName} to report Ready=True", _options.StepTimeout, ProbeIntegrationReadyAsync, ct);
        _report.Ok($"QuayIntegration {IntegrationName} Ready=True", $"{ready}  ({Seconds(readyAfter)})");

        if (_options.Prometheus) await StartPrometheusAsync(operatorNamespace, ct);
    }

    /// <summary>
    /// Prometheus scraping the operator's /metrics every second with deploy/monitoring's alerts loaded. With secure
    /// metrics it scrapes as a cluster's Prometheus does: HTTPS with the token of a service account bound to
    /// deploy/'s ClusterRole quay-integration-metrics-reader.
    /// </summary>
    private async Task StartPrometheusAsync(string operatorNamespace, CancellationToken ct)
    {
        if (PrometheusServer.Binary is null)
        {
            _report.Note("prometheus is not installed (apt-get install prometheus), so the sandbox runs without it");
            return;
        }
        var directory = Path.Combine(WorkDirectory, "prometheus");
        PrometheusTarget target;
        if (Operator!.SecureMetricsPort is { } securePort)
        {
            await ApplyFileAsync(Repo.MetricsReaderRole, dryRun: false, ct);
            await ApplyObjectAsync(new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = "prometheus", ["namespace"] = operatorNamespace },
            }, "the scraper's service account", ct);
            await ApplyObjectAsync(new JsonObject
            {
                ["apiVersion"] = "rbac.authorization.k8s.io/v1", ["kind"] = "ClusterRoleBinding",
                ["metadata"] = new JsonObject { ["name"] = "sandbox-prometheus-metrics-reader" },
                ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "quay-integration-metrics-reader" },
                ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = "prometheus", ["namespace"] = operatorNamespace }),
            }, "the scraper may get /metrics", ct);
            var token = await Kube.CoreV1.CreateNamespacedServiceAccountTokenAsync(
                new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [], ExpirationSeconds = 24 * 3600 } }, "prometheus", operatorNamespace,
                cancellationToken: ct);
            Directory.CreateDirectory(directory);
            var tokenFile = Path.Combine(directory, "token");
            await File.WriteAllTextAsync(tokenFile, token.Status.Token, ct);
            target = new PrometheusTarget(PrometheusServer.MetricsJob, $"127.0.0.1:{securePort}", "https", tokenFile, InsecureSkipVerify: true);
        }
        else
        {
            target = new PrometheusTarget(PrometheusServer.MetricsJob, $"127.0.0.1:{Operator.MetricsPort}", "http", BearerTokenFile: null, InsecureSkipVerify: false);
        }
        _prometheus = await PrometheusServer.StartAsync(directory, Repo.PrometheusRule, [target], ct);
        _report.Ok("Prometheus", $"{_prometheus.Url}  (scraping {target.Scheme}://{target.Address}/metrics every second{(target.BearerTokenFile is null ? "" : " with the token of " + operatorNamespace + "/prometheus")}; alerts of {Repo.Relative(Repo.PrometheusRule)} loaded)");
    }

    /// <summary>
    /// The operator's identity as deploy/ ships it: its ServiceAccount and RBAC rules applied as they are, and a kubeconfig
    /// with a bound token of that service account (what <c>kubectl create token</c> gives an administrator), so the
    /// operator may do exactly what deploy/base/rbac.yaml grants and a missing rule is a 403 here as on a real cluster.
    /// </summary>
    private async Task<string> InstallOperatorIdentityAsync(string operatorNamespace, CancellationToken ct)
    {
        await ApplyFileAsync(Repo.ServiceAccount, dryRun: false, ct);
        await ApplyFileAsync(Repo.Rbac, dryRun: false, ct);
        var name = YamlJson.LoadSingle(await File.ReadAllTextAsync(Repo.ServiceAccount, ct)).Str("metadata", "name")!;
        await ServiceAccountKubeconfig.WriteAsync(Kube, Cluster.ApiServer, operatorNamespace, name, OperatorKubeconfigPath, cancellationToken: ct);
        var user = $"system:serviceaccount:{operatorNamespace}:{name}";
        _report.Ok("operator identity", $"{user}, token from the TokenRequest API in {Repo.Relative(OperatorKubeconfigPath)}");
        return user;
    }

    /// <summary>
    /// The token Secret and a CA ConfigMap where the sample QuayIntegration says the token is, then the sample itself with
    /// the two fields a user of a private-CA Quay edits: <c>quayHostname</c> and <c>caBundle</c>.
    /// </summary>
    private async Task CreateIntegrationAsync(string token, CancellationToken ct)
    {
        var sample = YamlJson.LoadSingle(await File.ReadAllTextAsync(Repo.SampleIntegration, ct));
        var spec = sample["spec"]!.AsObject();
        var secretNamespace = spec.Str("credentialsSecret", "namespace") ?? throw new InvalidDataException("the sample has no credentialsSecret.namespace");
        var secretName = spec.Str("credentialsSecret", "name") ?? throw new InvalidDataException("the sample has no credentialsSecret.name");
        var secretKey = spec.Str("credentialsSecret", "key") ?? "token";

        // The sample keeps the token where the upstream operator's documentation puts it; that namespace exists on every
        // OpenShift cluster, so the sandbox creates it like the platform would.
        await ApplyObjectAsync(new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = secretNamespace },
        }, $"namespace {secretNamespace} (present on every OpenShift cluster)", ct);
        await ApplyObjectAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = secretName, ["namespace"] = secretNamespace },
            ["type"] = "Opaque",
            ["stringData"] = new JsonObject { [secretKey] = token },
        }, $"Secret {secretNamespace}/{secretName} with the Quay token under key {secretKey}", ct);
        await ApplyObjectAsync(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = QuayCaConfigMap, ["namespace"] = secretNamespace },
            ["data"] = new JsonObject { [QuayCaKey] = Quay.CaCertificatePem },
        }, $"ConfigMap {secretNamespace}/{QuayCaConfigMap} with the Quay's CA certificate", ct);

        spec["quayHostname"] = Quay.BaseUrl;
        spec["caBundle"] = new JsonObject { ["namespace"] = secretNamespace, ["name"] = QuayCaConfigMap, ["key"] = QuayCaKey };
        var name = sample.Str("metadata", "name")!;
        await ApplyObjectAsync(sample, $"QuayIntegration {name} from {Repo.Relative(Repo.SampleIntegration)} with quayHostname {Quay.BaseUrl} and caBundle {secretNamespace}/{QuayCaConfigMap}", ct);
        Integration = await GetIntegrationAsync(name, ct) ?? throw new StepFailedException($"QuayIntegration {name} was applied but cannot be read back");
    }

    /// <summary>
    /// With a webhook endpoint: the manifest from deploy/ as it is, its caBundle set to the sandbox CA (the job of
    /// hack/webhook-create-signed-cert.sh), and the Service it names mapped to the operator's local port. Without one,
    /// installing it would make every Build in a managed namespace fail (failurePolicy Fail), so the manifest is only
    /// validated by the API server (server-side dry run).
    /// </summary>
    private async Task InstallWebhookConfigurationAsync(WebhookManifest webhook, WebhookCertificates certificates, CancellationToken ct)
    {
        WebhookNamespaceSelector = webhook.NamespaceSelector;
        var path = webhook.Path;
        var (status, served) = await ProbeWebhookAsync(path, ct);
        WebhookServed = served;
        if (!served)
        {
            await ApplyFileAsync(Repo.WebhookConfiguration, dryRun: true, ct);
            _report.Note($"POST {Operator!.WebhookUrl}{path} → {status}: this operator build has no admission webhook (issue 5); " +
                         "the webhook configuration was validated by the API server but not installed, so Builds are created unmodified");
            return;
        }

        await ApplyFileAsync(Repo.WebhookConfiguration, dryRun: false, ct);
        var name = webhook.Name;
        var caBundle = Convert.ToBase64String(Encoding.UTF8.GetBytes(certificates.CaCertificatePem));
        var patch = new JsonArray(Enumerable.Range(0, webhook.WebhookCount).Select(i => (JsonNode)new JsonObject
        {
            ["op"] = "add", ["path"] = $"/webhooks/{i}/clientConfig/caBundle", ["value"] = caBundle,
        }).ToArray());
        await Kube.AdmissionregistrationV1.PatchMutatingWebhookConfigurationAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.JsonPatch), name, cancellationToken: ct);
        _report.Ok($"caBundle of MutatingWebhookConfiguration {name} set", "to the CA that signed the operator's serving certificate (what hack/webhook-create-signed-cert.sh does)");
        if (webhook is { ServiceName: { } service, ServiceNamespace: { } serviceNamespace })
        {
            // The API server resolves the Service as kube-apiserver would resolve its ClusterIP: here, the operator's port.
            Cluster.ApiServer.MapService(service, serviceNamespace, webhook.ServicePort, $"127.0.0.1:{Operator!.WebhookPort}");
            _report.Ok($"Service {serviceNamespace}/{service}:{webhook.ServicePort} routed",
                $"to the operator's webhook listener {Operator.WebhookUrl} (TLS still verified for {service}.{serviceNamespace}.svc against the caBundle)");
        }
        _report.Ok($"admission webhook answering", $"POST {Operator!.WebhookUrl}{path} → {status}");
    }

    /// <summary>
    /// Whether the operator serves its webhook path: a malformed AdmissionReview gets 400 or a denial from a real webhook,
    /// while a host without the endpoint answers 404 (or does not listen at all).
    /// </summary>
    private async Task<(string Status, bool Served)> ProbeWebhookAsync(string path, CancellationToken ct)
    {
        // A presence probe of our own child process on loopback; the API server does the real TLS verification later.
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.PostAsync(Operator!.WebhookUrl + path, new StringContent("{}", Encoding.UTF8, "application/json"), ct);
            var code = (int)response.StatusCode;
            return ($"{code} {response.ReasonPhrase}", response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed));
        }
        catch (HttpRequestException e)
        {
            return ($"no answer ({e.Message})", false);
        }
    }

    private async Task<Eventually.Probe<string>> ProbeReadyAsync(CancellationToken ct)
    {
        if (Operator!.HasExited)
            throw new StepFailedException($"the operator exited with code {Operator.ExitCode} before becoming ready");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync($"{Operator.MetricsUrl}/readyz", ct);
        var text = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}";
        return response.IsSuccessStatusCode ? Eventually.Probe<string>.Done(text) : Eventually.Probe<string>.NotYet(text);
    }

    private async Task<Eventually.Probe<string>> ProbeIntegrationReadyAsync(CancellationToken ct)
    {
        var integration = await GetIntegrationAsync(IntegrationName, ct);
        var ready = integration?["status"]?["conditions"]?.AsArray().OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == "Ready");
        if (ready is null) return Eventually.Probe<string>.NotYet("no Ready condition in its status yet");
        var text = $"{ready.Str("reason")}: {ready.Str("message")}";
        if (ready.Str("status") != "True") return Eventually.Probe<string>.NotYet($"Ready={ready.Str("status")} {text}");
        Integration = integration!;
        return Eventually.Probe<string>.Done(text);
    }

    public async Task<JsonObject?> GetIntegrationAsync(string name, CancellationToken ct)
    {
        try
        {
            var element = (JsonElement)await Kube.CustomObjects.GetClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", name, ct);
            return JsonNode.Parse(element.GetRawText())!.AsObject();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task ApplyFileAsync(string path, bool dryRun, CancellationToken ct)
    {
        _report.Action(_applier!.CommandFor(path, dryRun));
        foreach (var line in await _applier.ApplyFileAsync(path, dryRun, ct)) _report.Ok(line);
    }

    private async Task ApplyObjectAsync(JsonObject manifest, string what, CancellationToken ct)
    {
        _report.Action($"{_applier!.CommandFor("-", dryRun: false)}   # {what}");
        foreach (var line in await _applier.ApplyAsync(manifest, ct)) _report.Ok(line);
    }

    /// <summary>The operator's last log lines, to explain why some evidence did not appear.</summary>
    public void ReportOperatorLog()
    {
        if (_operator is not { } op) return;
        _report.Detail($"the operator's last log lines (full log: {Repo.Relative(op.LogPath)}{(op.HasExited ? $"; it exited with code {op.ExitCode}" : "")}):");
        var lines = op.LastLogLines();
        foreach (var line in lines) _report.Detail("  " + line);
        if (lines.Count == 0) _report.Detail("  (nothing logged yet)");
    }

    public static string Seconds(TimeSpan elapsed) => $"{elapsed.TotalSeconds:0.0}s";

    private static InvalidOperationException NotStarted() => new("the sandbox is not started");

    public async ValueTask DisposeAsync()
    {
        if (_prometheus is not null) await _prometheus.DisposeAsync();
        if (_operator is not null) await _operator.DisposeAsync();
        _applier?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        if (_quay is not null) await _quay.DisposeAsync();
        // The kubeconfig and the webhook key would point at nothing once the emulators are gone; the log stays for reading.
        File.Delete(KubeconfigPath);
        File.Delete(OperatorKubeconfigPath);
        if (Directory.Exists(Path.Combine(WorkDirectory, "webhook-certs"))) Directory.Delete(Path.Combine(WorkDirectory, "webhook-certs"), recursive: true);
    }
}
