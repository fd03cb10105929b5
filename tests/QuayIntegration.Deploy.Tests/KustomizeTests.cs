using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using QuayIntegration.Deploy.Tests.Support;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Operator;
using QuayIntegration.Operator.Hosting;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// The kustomize layout with the real kubectl: every overlay builds, pins the operator's image to the version of
/// deploy/base (never :latest), wires its certificate mode so that what issues the certificate writes the Secret the
/// Deployment mounts where the operator reads it, and is accepted whole by an API server.
/// </summary>
public sealed class KustomizeTests : IAsyncLifetime
{
    private const string Ns = "quay-integration";
    private KubectlWorld _world = null!;

    public async Task InitializeAsync() => _world = await KubectlWorld.StartAsync("kustomize-tests-");

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private async Task<IReadOnlyList<Manifest>> BuildAsync(string path) => Manifests.Parse(await _world.Kubectl.RunAsync("kustomize", path), $"kubectl kustomize {path}");

    private static Manifest One(IEnumerable<Manifest> all, string kind, string name) =>
        all.SingleOrDefault(m => m.Kind == kind && m.Name == name) ?? throw new Xunit.Sdk.XunitException($"no {kind} {name} in the build");

    private static JsonObject Container(IEnumerable<Manifest> all) => One(all, "Deployment", "quay-integration").Body["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();

    private static string Env(JsonObject container, string name) => (string)container["env"]!.AsArray().Single(e => (string?)e!["name"] == name)!["value"]!;

    /// <summary>The Secret mounted at <paramref name="mountPath"/>.</summary>
    private static string SecretMountedAt(IEnumerable<Manifest> all, string mountPath)
    {
        var pod = One(all, "Deployment", "quay-integration").Body["spec"]!["template"]!["spec"]!;
        var mount = pod["containers"]![0]!["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == mountPath)!;
        return (string)pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!["secret"]!["secretName"]!;
    }

    /// <summary>The container's arguments and environment as the operator reads them (its own configuration binding).</summary>
    private static OperatorOptions OptionsOf(JsonObject container)
    {
        var args = container["args"]?.AsArray().Select(a => (string)a!).ToArray() ?? [];
        var environment = container["env"]!.AsArray().Where(e => e!["value"] is not null).ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        var builder = new ConfigurationBuilder();
        if (environment.TryGetValue("WEBHOOK_CERT_DIR", out var certDir)) builder.AddInMemoryCollection([new("Operator:Webhook:CertDir", certDir)]);
        builder.AddCommandLine(args, CommandLine.SwitchMappings);
        return builder.Build().GetSection(OperatorOptions.Section).Get<OperatorOptions>() ?? new OperatorOptions();
    }

    public static TheoryData<string> Builds => new() { "deploy", "deploy/base", "deploy/overlays/openshift", "deploy/overlays/kubernetes", "deploy/overlays/self-managed" };

    [Theory]
    [MemberData(nameof(Builds))]
    public async Task Every_build_runs_the_pinned_image_with_secure_metrics(string path)
    {
        var all = await BuildAsync(path);
        var tag = (string)Manifests.Load(Path.Combine(Repo.Base, "kustomization.yaml")).Single().Body["images"]![0]!["newTag"]!;
        Assert.Matches(@"^\d+\.\d+\.\d+$", tag);
        var container = Container(all);
        Assert.Equal($"quay.io/quay-integration/operator:{tag}", (string?)container["image"]);
        var options = OptionsOf(container);
        Assert.True(options.Metrics.Secure, "/metrics must be served over HTTPS with token review in every install");
        // The secure port the operator listens on is the container port the metrics Service targets.
        var port = container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "https-metrics")!;
        Assert.Equal(options.Metrics.SecurePort, (int?)port["containerPort"]);
        Assert.Equal("https-metrics", (string?)One(all, "Service", "quay-integration-metrics").Body["spec"]!["ports"]![0]!["targetPort"]);
        // Probes stay on plain HTTP.
        Assert.Equal("health", (string?)container["readinessProbe"]!["httpGet"]!["port"]);
        Assert.Equal(options.MetricsPort, (int?)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "health")!["containerPort"]);
        // The metrics certificate Secret (when something writes it) is mounted where the operator reads it.
        Assert.Equal("quay-integration-metrics-tls", SecretMountedAt(all, options.Metrics.CertDir));
        Assert.All(all, m => Assert.DoesNotContain(":latest", m.Body.ToJsonString()));
    }

    [Fact]
    public async Task OpenShift_overlay_uses_the_service_CA_for_both_certificates_and_the_cluster_monitoring_stack()
    {
        var all = await BuildAsync("deploy/overlays/openshift");
        var options = OptionsOf(Container(all));
        Assert.Equal(CertModes.Files, options.Webhook.CertMode);
        var webhookSecret = SecretMountedAt(all, options.Webhook.CertDir);
        var webhookService = One(all, "Service", "quay-integration").Body;
        Assert.Equal(webhookSecret, (string?)webhookService["metadata"]!["annotations"]!["service.beta.openshift.io/serving-cert-secret-name"]);
        Assert.Equal("true", (string?)One(all, "MutatingWebhookConfiguration", "quay-integration").Body["metadata"]!["annotations"]!["service.beta.openshift.io/inject-cabundle"]);
        var metricsService = One(all, "Service", "quay-integration-metrics").Body;
        Assert.Equal(SecretMountedAt(all, options.Metrics.CertDir), (string?)metricsService["metadata"]!["annotations"]!["service.beta.openshift.io/serving-cert-secret-name"]);
        Assert.Equal("true", (string?)One(all, "Namespace", Ns).Body["metadata"]!["labels"]!["openshift.io/cluster-monitoring"]);

        // Prometheus verifies the metrics certificate against the service CA, for the Service's DNS name, and may read /metrics.
        var endpoint = One(all, "ServiceMonitor", "quay-integration").Body["spec"]!["endpoints"]![0]!;
        Assert.Equal($"quay-integration-metrics.{Ns}.svc", (string?)endpoint["tlsConfig"]!["serverName"]);
        Assert.Null(endpoint["tlsConfig"]!["insecureSkipVerify"]);
        Assert.Equal("https-metrics", (string?)endpoint["port"]);
        var binding = One(all, "ClusterRoleBinding", "quay-integration-metrics-reader").Body;
        Assert.Equal("quay-integration-metrics-reader", (string?)binding["roleRef"]!["name"]);
        Assert.Equal(("prometheus-k8s", "openshift-monitoring"), ((string?)binding["subjects"]![0]!["name"], (string?)binding["subjects"]![0]!["namespace"]));

        // The console dashboard is the Grafana JSON, byte for byte.
        var dashboard = One(all, "ConfigMap", "grafana-dashboard-quay-integration");
        Assert.Equal("openshift-config-managed", dashboard.Namespace);
        Assert.Equal("true", (string?)dashboard.Body["metadata"]!["labels"]!["console.openshift.io/dashboard"]);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Repo.Deploy, "monitoring", "dashboards", "quay-integration.json")),
            (string?)dashboard.Body["data"]!["quay-integration.json"]);

        await ApplyAsync("deploy/overlays/openshift", "openshift-config-managed");
    }

    [Fact]
    public async Task Kubernetes_overlay_has_cert_manager_issue_both_certificates_and_inject_the_webhook_CA()
    {
        var all = await BuildAsync("deploy/overlays/kubernetes");
        var options = OptionsOf(Container(all));
        Assert.Equal(CertModes.Files, options.Webhook.CertMode);
        var issuer = One(all, "Issuer", "quay-integration-selfsigned");
        Assert.NotNull(issuer.Body["spec"]!["selfSigned"]);
        var webhookCertificate = all.Single(m => m.Kind == "Certificate" && (string?)m.Body["spec"]!["secretName"] == SecretMountedAt(all, options.Webhook.CertDir));
        Assert.Equal(issuer.Name, (string?)webhookCertificate.Body["spec"]!["issuerRef"]!["name"]);
        Assert.Contains($"quay-integration.{Ns}.svc", webhookCertificate.Body["spec"]!["dnsNames"]!.AsArray().Select(n => (string?)n));
        Assert.Equal($"{Ns}/{webhookCertificate.Name}",
            (string?)One(all, "MutatingWebhookConfiguration", "quay-integration").Body["metadata"]!["annotations"]!["cert-manager.io/inject-ca-from"]);
        var metricsCertificate = all.Single(m => m.Kind == "Certificate" && (string?)m.Body["spec"]!["secretName"] == SecretMountedAt(all, options.Metrics.CertDir));
        Assert.Contains($"quay-integration-metrics.{Ns}.svc", metricsCertificate.Body["spec"]!["dnsNames"]!.AsArray().Select(n => (string?)n));

        await ApplyAsync("deploy/overlays/kubernetes");
    }

    [Fact]
    public async Task Self_managed_overlay_runs_the_operator_in_self_managed_mode_with_a_writable_certificate_directory()
    {
        var all = await BuildAsync("deploy/overlays/self-managed");
        var container = Container(all);
        var options = OptionsOf(container);
        Assert.Equal(CertModes.SelfManaged, options.Webhook.CertMode);
        Assert.True(options.Metrics.Secure);
        Assert.Equal("/tmp/certificates", Env(container, "WEBHOOK_CERT_DIR"));
        // /tmp is the writable emptyDir (the root filesystem is read-only).
        var pod = One(all, "Deployment", "quay-integration").Body["spec"]!["template"]!["spec"]!;
        var tmp = container["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == "/tmp")!;
        Assert.NotNull(pod["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)tmp["name"])!["emptyDir"]);
        Assert.True((bool?)container["securityContext"]!["readOnlyRootFilesystem"]);
        // The Secret it keeps its CA in is the one the operator's Role may update.
        var role = Manifests.Load(Path.Combine(Repo.Base, "rbac.yaml")).Single(m => m.Kind == "Role").Body;
        Assert.Contains(role["rules"]!.AsArray(), r => r!["resourceNames"]?.AsArray().Any(n => (string?)n == options.Webhook.SecretName) == true);

        await ApplyAsync("deploy/overlays/self-managed");
    }

    [Fact]
    public async Task Monitoring_builds_alone_for_kubernetes_clusters_with_the_prometheus_operator()
    {
        var all = await BuildAsync("deploy/monitoring");
        Assert.Equal(["PrometheusRule", "ServiceMonitor"], all.Select(m => m.Kind).Order());
        var monitor = One(all, "ServiceMonitor", "quay-integration").Body["spec"]!;
        // It selects exactly the metrics Service of deploy/base.
        var service = Manifests.Load(Path.Combine(Repo.Base, "service.yaml")).Single(m => m.Name == "quay-integration-metrics").Body;
        foreach (var (key, value) in monitor["selector"]!["matchLabels"]!.AsObject())
            Assert.Equal((string?)value, (string?)service["metadata"]!["labels"]![key]);
        Assert.Equal("https", (string?)monitor["endpoints"]![0]!["scheme"]);
        Assert.NotNull(monitor["endpoints"]![0]!["bearerTokenFile"]);
    }

    [Fact]
    public async Task Policies_keep_one_replica_through_drains_spread_the_two_and_admit_only_the_webhook_and_metrics_ports()
    {
        var all = await BuildAsync("deploy");
        var deployment = One(all, "Deployment", "quay-integration").Body["spec"]!;
        Assert.Equal(2, (int?)deployment["replicas"]);
        var podLabels = deployment["template"]!["metadata"]!["labels"]!.AsObject();
        bool Selects(JsonNode? selector) => selector!["matchLabels"]!.AsObject().All(l => (string?)podLabels[l.Key] == (string?)l.Value);

        var pdb = One(all, "PodDisruptionBudget", "quay-integration").Body["spec"]!;
        Assert.Equal(1, (int?)pdb["maxUnavailable"]);
        Assert.True(Selects(pdb["selector"]));

        var spread = deployment["template"]!["spec"]!["topologySpreadConstraints"]!.AsArray();
        Assert.Contains(spread, s => (string?)s!["topologyKey"] == "kubernetes.io/hostname" && Selects(s["labelSelector"]));
        Assert.Contains(spread, s => (string?)s!["topologyKey"] == "topology.kubernetes.io/zone" && Selects(s["labelSelector"]));

        var policy = One(all, "NetworkPolicy", "quay-integration").Body["spec"]!;
        Assert.True(Selects(policy["podSelector"]));
        Assert.Equal(["Egress", "Ingress"], policy["policyTypes"]!.AsArray().Select(p => (string)p!).Order());
        var container = Container(all);
        var ingressPorts = policy["ingress"]!.AsArray().SelectMany(r => r!["ports"]!.AsArray()).Select(p => (int)p!["port"]!).Order().ToList();
        var exposed = container["ports"]!.AsArray().Where(p => (string?)p!["name"] is "webhook" or "https-metrics").Select(p => (int)p!["containerPort"]!).Order().ToList();
        Assert.Equal(exposed, ingressPorts);
        var egressPorts = policy["egress"]!.AsArray().SelectMany(r => r!["ports"]!.AsArray()).Select(p => $"{(string?)p!["protocol"]}/{(int?)p["port"]}").ToHashSet();
        foreach (var needed in new[] { "UDP/53", "TCP/53", "UDP/5353", "TCP/443", "TCP/6443" }) Assert.Contains(needed, egressPorts);

        // Requests sized from the README's measured memory (184 MiB at ready, up to 246 MiB at 1,000 namespaces).
        var resources = container["resources"]!;
        Assert.Equal("256Mi", (string?)resources["requests"]!["memory"]);
        Assert.Equal("512Mi", (string?)resources["limits"]!["memory"]);
    }

    /// <summary>kubectl apply of a whole overlay to an API server that knows the third-party kinds it uses.</summary>
    private async Task ApplyAsync(string path, params string[] namespaces)
    {
        await _world.Kubectl.RunAsync("apply", "-f", "tests/QuayIntegration.Deploy.Tests/Fixtures/third-party-crds.yaml");
        foreach (var ns in namespaces) await _world.Kubectl.RunAsync("create", "namespace", ns);
        var applied = await _world.Kubectl.RunAsync("apply", "-k", path);
        var built = await BuildAsync(path);
        foreach (var m in built) Assert.Contains($"{m.Name} created", applied);
        var stored = JsonNode.Parse(await _world.Kubectl.RunAsync("get", "-k", path, "-o", "json"))!["items"]!.AsArray();
        Assert.Equal(built.Count, stored.Count);
    }
}
