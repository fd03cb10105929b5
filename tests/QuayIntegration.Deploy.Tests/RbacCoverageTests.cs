using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using QuayIntegration.Deploy.Tests.Support;
using QuayIntegration.Emulators.Cluster;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// deploy/base/rbac.yaml against what the real operator does: deploy/ is installed with kubectl, the operator host runs
/// in-process under its service account's own token, a realistic flow is driven, and the operator user's recorded
/// requests are compared with the rules bound to that service account, both ways (nothing missing, nothing unused).
/// The flow reaches every granted verb, rare paths included (lease update on renewal and release, Secret delete on a
/// type change, service account get after a 409, certificate Secret update), so no grant needs an allowlist; should a
/// grant ever be unreachable here, allowlist it explicitly with the code path that uses it rather than dropping it.
/// </summary>
public sealed class RbacCoverageTests
{
    private const string OperatorNamespace = "quay-integration";
    private const string ServiceAccount = "quay-integration";
    private const string OperatorUser = $"system:serviceaccount:{OperatorNamespace}:{ServiceAccount}";
    private const string Project = "rbac-demo";
    private const string Org = "openshift_rbac-demo";
    /// <summary>The Secret self-managed certificate mode keeps its CA and serving pair in (Operator:Webhook:SecretName).</summary>
    private static readonly string WebhookCertSecret = new QuayIntegration.Operator.WebhookOptions().SecretName;
    private const string Imported = "quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported";

    [Fact]
    public async Task Rbac_rules_cover_every_call_of_the_operator_and_grant_nothing_it_does_not_use()
    {
        // Set DEPLOY_RBAC_FILE to try corrected rules on a copy before they are written to deploy/base/rbac.yaml.
        var rbacFile = Environment.GetEnvironmentVariable("DEPLOY_RBAC_FILE") is { Length: > 0 } f ? f : Path.Combine(Repo.Base, "rbac.yaml");
        var rules = RbacPolicy.RulesFor(Manifests.Load(rbacFile), OperatorNamespace, ServiceAccount);

        var calls = await RunOperatorFlowAsync();

        var uncovered = calls.Keys.Where(c => !rules.Any(r => r.Allows(c)))
            .Select(c => $"operator called {Describe(c)} ({calls[c]}x) but {Path.GetFileName(rbacFile)} does not allow it")
            .Distinct().Order().ToList();
        var unused = new List<string>();
        foreach (var rule in rules)
            foreach (var group in rule.ApiGroups)
                foreach (var resource in rule.Resources)
                    foreach (var verb in rule.Verbs)
                    {
                        var key = $"{verb} {GroupName(group)}/{resource}";
                        var used = calls.Keys.Any(c => rule.Allows(c) && c.Group == group && c.ResourcePath == resource && c.Verb == verb);
                        if (!used)
                            unused.Add($"{Path.GetFileName(rbacFile)} grants {key} in {rule.Describe()} but the operator never uses it");
                    }
        var problems = uncovered.Concat(unused).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n\nrecorded calls of " + OperatorUser + ":\n"
            + string.Join("\n", calls.Keys.Select(Describe).Distinct().Order()));
    }

    private static string GroupName(string group) => group.Length == 0 ? "core" : group;

    private static string Describe(RecordedRequest c) =>
        $"{c.Verb} {GroupName(c.Group)}/{c.ResourcePath}" + (c.Namespace is null ? "" : $" in {c.Namespace}") + (c.Name is null ? "" : $" name {c.Name}");

    /// <summary>Installs deploy/, runs the operator as its service account through the flow, and returns its calls.</summary>
    private static async Task<IReadOnlyDictionary<RecordedRequest, int>> RunOperatorFlowAsync()
    {
        var workDir = Directory.CreateTempSubdirectory("rbac-flow-").FullName;
        var quayToken = "first-" + Guid.NewGuid().ToString("N");
        var rotatedToken = "second-" + Guid.NewGuid().ToString("N");
        var saToken = "sa-" + Guid.NewGuid().ToString("N");
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions { NamespaceGcDelay = TimeSpan.FromSeconds(1) }
            .WithUserToken("operator", quayToken, QuayScopes.All & ~QuayScopes.SuperUser)
            .WithUserToken("operator", rotatedToken, QuayScopes.All & ~QuayScopes.SuperUser));
        var options = new EmulatedClusterOptions();
        options.RegistryCaCertificatesPem.Add(quay.CaCertificatePem);
        options.ApiServer.Users[saToken] = ApiUser.ServiceAccount(OperatorNamespace, ServiceAccount);
        await using var cluster = await EmulatedCluster.StartAsync(options);
        var kube = cluster.Client;
        RunningOperator? op = null;
        try
        {
            // The administrator's part: deploy/ as shipped, the Quay credentials and CA.
            using (var kubectl = new Kubectl(cluster.KubeconfigPath)) await kubectl.RunAsync("apply", "-k", "deploy/");
            // A webhook certificate Secret left unreadable (by a failed earlier install, say): self-managed mode must
            // replace it in place, which is the only way to reach its update path without waiting a year for renewal.
            await kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = WebhookCertSecret },
                Type = "Opaque",
                Data = new Dictionary<string, byte[]> { ["tls.crt"] = "not a certificate"u8.ToArray() },
            }, OperatorNamespace);
            await kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = "quay-token" },
                Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(quayToken) },
            }, OperatorNamespace);
            await kube.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
            {
                Metadata = new V1ObjectMeta { Name = "quay-ca" },
                Data = new Dictionary<string, string> { ["ca-bundle.crt"] = quay.CaCertificatePem },
            }, OperatorNamespace);
            await kube.CustomObjects.CreateClusterCustomObjectAsync(new JsonObject
            {
                ["apiVersion"] = "quay.redhat.com/v1",
                ["kind"] = "QuayIntegration",
                ["metadata"] = new JsonObject { ["name"] = "quay" },
                ["spec"] = new JsonObject
                {
                    ["clusterID"] = "openshift",
                    ["quayHostname"] = quay.BaseUrl,
                    ["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-token" },
                    ["caBundle"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-ca" },
                    ["driftCheckInterval"] = "1s",
                },
            }, "quay.redhat.com", "v1", "quayintegrations");

            // The operator, authenticated as its service account only.
            var operatorKubeconfig = Path.Combine(workDir, "operator.kubeconfig");
            cluster.ApiServer.WriteKubeconfigForToken(operatorKubeconfig, saToken, OperatorNamespace);
            // Self-managed certificate mode: the mode that needs the most (its Secret, the caBundle); files mode makes no
            // API call of its own.
            var certDir = Path.Combine(workDir, "certs");
            op = await StartOperatorAsync(operatorKubeconfig, certDir);
            cluster.ApiServer.MapService("quay-integration", OperatorNamespace, 443, new Uri(op.WebhookUrl).Authority);
            await Repo.Eventually(async () => (await kube.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("quay-integration"))
                .Webhooks.All(w => w.ClientConfig.CaBundle is { Length: > 0 }), "the operator to publish its CA in the webhook's caBundle");

            // Prometheus scrapes the secure /metrics with its service account's token: the operator reviews the token
            // (TokenReview) and asks whether its user may get /metrics (SubjectAccessReview), as deploy/ runs it.
            await MetricsAccessClient.CreateServiceAccountAsync(kube, OperatorNamespace, "prometheus", "quay-integration-metrics-reader");
            using (var scraper = new MetricsAccessClient(op.App))
            {
                var (status, body, _) = await scraper.GetAsync(await MetricsAccessClient.TokenAsync(kube, OperatorNamespace, "prometheus"));
                Assert.True(status == 200, $"the secure /metrics answered {status}: {body}");
            }

            // Someone else changes a service account between the operator's read and its patch (a 409 on the patch's
            // resourceVersion precondition): the operator re-reads it (get) and retries.
            cluster.ApiServer.Faults.InjectStatus(409, 1, "serviceaccounts", "patch");

            // A project is set up: organization, robots, Secrets, service accounts linked, the managed label.
            await cluster.Oc.NewProjectAsync(Project);
            await Repo.Eventually(() => IsSetUpAsync(kube, quay), "the project to be set up", TimeSpan.FromSeconds(30));
            // The operator's own namespace is never synced: no organization, label or finalizer there.
            var own = await kube.CoreV1.ReadNamespaceAsync(OperatorNamespace);
            Assert.False(own.Metadata.Labels?.ContainsKey("quay.redhat.com/managed") ?? false);
            Assert.DoesNotContain("quay.redhat.com/quayintegrations", own.Metadata.Finalizers ?? []);
            Assert.Null(quay.State.Organization("openshift_" + OperatorNamespace));

            // An ImageStream gets its Quay repository.
            await kube.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
            {
                ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "images" },
            }, "image.openshift.io", "v1", Project, "imagestreams");
            await Repo.Eventually(() => Task.FromResult(quay.State.Repository(Org, "images") is not null), "the ImageStream's repository");

            // A failure that lasts (Quay refuses one repository for a while): the namespace's Warning repeats, and each
            // repeat after the window is added to the Event already written (patch) rather than written anew.
            var refusal = quay.Faults.Add(new QuayIntegration.Emulators.Quay.Faults.FaultRule { Route = "/api/v1/repository", Method = "POST", ErrorRate = 1, ErrorStatuses = [400] });
            await kube.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
            {
                ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "refused-for-a-while" },
            }, "image.openshift.io", "v1", Project, "imagestreams");
            await Repo.Eventually(async () => (await kube.CoreV1.ListNamespacedEventAsync("default")).Items
                .Any(e => e.InvolvedObject.Name == Project && e.Type == "Warning" && e.Count >= 2), "a lasting failure counted on its Event", TimeSpan.FromSeconds(30));
            quay.Faults.Remove(refusal);
            await Repo.Eventually(() => Task.FromResult(quay.State.Repository(Org, "refused-for-a-while") is not null), "the repository once Quay takes it", TimeSpan.FromSeconds(30));

            // Drift: a robot Secret deleted, one edited, and one replaced by a Secret of another type (immutable: the
            // operator must delete and recreate it).
            var deleted = (await kube.CoreV1.ReadNamespacedSecretAsync("default-quay-openshift", Project)).Metadata.Uid;
            await kube.CoreV1.DeleteNamespacedSecretAsync("default-quay-openshift", Project);
            await kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"data":{".dockerconfigjson":"e30="}}""", V1Patch.PatchType.MergePatch), "builder-quay-openshift", Project);
            // While the operator is down (a restart, which also releases and re-acquires the Lease), a robot Secret is
            // replaced by one of another type; types are immutable, so the operator must delete and recreate it.
            await op.DisposeAsync();
            var retyped = await kube.CoreV1.ReadNamespacedSecretAsync("deployer-quay-openshift", Project);
            await kube.CoreV1.DeleteNamespacedSecretAsync(retyped.Metadata.Name, Project);
            await kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = retyped.Metadata.Name, Labels = retyped.Metadata.Labels, Annotations = retyped.Metadata.Annotations },
                Type = "Opaque",
                Data = new Dictionary<string, byte[]> { ["x"] = [1] },
            }, Project);
            op = await StartOperatorAsync(operatorKubeconfig, certDir);
            cluster.ApiServer.MapService("quay-integration", OperatorNamespace, 443, new Uri(op.WebhookUrl).Authority);
            await Repo.Eventually(async () => await IsSetUpAsync(kube, quay)
                && (await kube.CoreV1.ReadNamespacedSecretAsync("default-quay-openshift", Project)).Metadata.Uid != deleted,
                "the Secrets to be repaired", TimeSpan.FromSeconds(30));

            // Token rotation: the credentials Secret now holds another token of the same Quay user.
            await kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch(
                new JsonObject { ["data"] = new JsonObject { ["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(rotatedToken)) } }.ToJsonString(),
                V1Patch.PatchType.MergePatch), "quay-token", OperatorNamespace);
            await kube.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
            {
                ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "after-rotation" },
            }, "image.openshift.io", "v1", Project, "imagestreams");
            await Repo.Eventually(() => Task.FromResult(quay.State.Repository(Org, "after-rotation") is not null), "a repository made after the rotation");

            // Robot tokens rotated on request: the decision reads the QuayNamespace's status afresh (get), the Secrets follow.
            var robotTokens = quay.State.Organization(Org)!.Robots.ToDictionary(r => r.Name, r => r.Token);
            await kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"rbac"}}}""",
                V1Patch.PatchType.MergePatch), Project);
            await Repo.Eventually(async () => quay.State.Organization(Org)!.Robots.All(r => r.Token != robotTokens[r.Name]) && await IsSetUpAsync(kube, quay),
                "robot tokens rotated and the Secrets in step", TimeSpan.FromSeconds(30));

            // A build goes through the webhook (rewritten to push to Quay) and its image is imported back.
            var app = await cluster.Oc.NewAppAsync(Project, AppTemplate.HttpdExample);
            var build = (string)app.Build["metadata"]!["name"]!;
            await cluster.Oc.WaitForBuildPhaseAsync(Project, build, "Complete", TimeSpan.FromSeconds(30));
            await Repo.Eventually(async () => (string?)(await cluster.Oc.GetBuildAsync(Project, build))?["metadata"]?["annotations"]?[Imported] == "true",
                "the build's image to be imported");
            // Builds of every strategy the webhook rewrites, as other build tools leave them: the operator marks each, and
            // OpenShift's BuildByStrategy admission asks "create builds/<strategy>" of it for every such write.
            var built = (await cluster.Oc.GetBuildAsync(Project, build))!;
            foreach (var strategy in StrategiesMarked)
            {
                var other = await CreateCompletedBuildLikeAsync(kube, built, strategy);
                await Repo.Eventually(async () => (string?)(await cluster.Oc.GetBuildAsync(Project, other))?["metadata"]?["annotations"]?[Imported] == "true",
                    $"the {strategy["type"]} build marked");
            }

            // The namespace is deleted: the operator cleans up Quay and releases its finalizer.
            await kube.CoreV1.DeleteNamespaceAsync(Project);
            await cluster.Oc.WaitForNamespaceGoneAsync(Project, TimeSpan.FromSeconds(30));

            // The QuayIntegration is deleted: its cleanup finalizer is released.
            await kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", "quay");
            await Repo.Eventually(async () =>
            {
                try { await kube.CustomObjects.GetClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", "quay"); return false; }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound) { return true; }
            }, "the QuayIntegration to be gone");
        }
        finally
        {
            if (op is not null) await op.DisposeAsync();
            Directory.Delete(workDir, recursive: true);
        }
        // What admission asked of the operator's user counts as its use of a grant, as a request does.
        var calls = new Dictionary<RecordedRequest, int>(cluster.ApiServer.Requests.ByUser(OperatorUser));
        foreach (var (check, count) in cluster.ApiServer.Requests.AdmissionChecksBy(OperatorUser)) calls[check] = calls.GetValueOrDefault(check) + count;
        return calls;
    }

    /// <summary>The strategies of the Builds the operator marks, each as <c>spec.strategy</c>: a Docker build optimized is "optimizeddocker".</summary>
    private static readonly JsonObject[] StrategiesMarked =
    [
        new() { ["type"] = "Docker", ["dockerStrategy"] = new JsonObject() },
        new() { ["type"] = "Docker", ["dockerStrategy"] = new JsonObject { ["imageOptimizationPolicy"] = "SkipLayers" } },
        new() { ["type"] = "Source", ["sourceStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "registry.example.com/s2i:latest" } } },
        new() { ["type"] = "Custom", ["customStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "registry.example.com/custom:latest" } } },
    ];

    /// <summary>
    /// A Complete Build with <paramref name="built"/>'s rewritten output, annotations, label and digest and the given
    /// strategy, written by the administrator (no build runs for it): its image is already in the tag, so the operator
    /// only marks it.
    /// </summary>
    private static async Task<string> CreateCompletedBuildLikeAsync(k8s.Kubernetes kube, JsonNode built, JsonObject strategy)
    {
        var build = new JsonObject
        {
            ["apiVersion"] = "build.openshift.io/v1",
            ["kind"] = "Build",
            ["metadata"] = new JsonObject
            {
                ["generateName"] = "other-",
                ["labels"] = built["metadata"]!["labels"]!.DeepClone(),
                ["annotations"] = new JsonObject
                {
                    [BuildAnnotations.Managed] = "true",
                    [BuildAnnotations.DestinationImageStream] = built["metadata"]!["annotations"]![BuildAnnotations.DestinationImageStream]!.DeepClone(),
                },
            },
            ["spec"] = new JsonObject
            {
                ["strategy"] = strategy.DeepClone(),
                ["source"] = new JsonObject { ["type"] = "Dockerfile", ["dockerfile"] = "FROM scratch" },
                ["output"] = new JsonObject { ["to"] = built["spec"]!["output"]!["to"]!.DeepClone() },
            },
            ["status"] = new JsonObject
            {
                ["phase"] = "Complete",
                ["completionTimestamp"] = built["status"]!["completionTimestamp"]!.DeepClone(),
                ["output"] = built["status"]!["output"]!.DeepClone(),
            },
        };
        var created = await kube.CustomObjects.CreateNamespacedCustomObjectAsync(build, "build.openshift.io", "v1", Project, "builds");
        return (string)JsonNode.Parse(((System.Text.Json.JsonElement)created).GetRawText())!["metadata"]!["name"]!;
    }

    private static async Task<bool> IsSetUpAsync(k8s.Kubernetes kube, QuayEmulator quay)
    {
        var ns = await kube.CoreV1.ReadNamespaceAsync(Project);
        if (ns.Metadata.Labels is null || !ns.Metadata.Labels.TryGetValue("quay.redhat.com/managed", out var managed) || managed != "true") return false;
        var org = quay.State.Organization(Org);
        if (org is null || org.Robots.Count != 3) return false;
        foreach (var sa in new[] { "builder", "default", "deployer" })
        {
            var secrets = await kube.CoreV1.ListNamespacedSecretAsync(Project, fieldSelector: $"metadata.name={sa}-quay-openshift");
            if (secrets.Items.SingleOrDefault() is not { Type: "kubernetes.io/dockerconfigjson" } secret
                || !Encoding.UTF8.GetString(secret.Data[".dockerconfigjson"]).Contains(quay.RegistryHost)) return false;
            var account = await kube.CoreV1.ReadNamespacedServiceAccountAsync(sa, Project);
            if (account.ImagePullSecrets?.Any(s => s.Name == secret.Metadata.Name) != true) return false;
        }
        return true;
    }

    private static async Task<RunningOperator> StartOperatorAsync(string kubeconfig, string certDir)
    {
        string[] args =
        [
            "--kubeconfig", kubeconfig,
            "--Operator:BindAddress=127.0.0.1",
            "--Operator:MetricsPort=0",
            "--Operator:Metrics:Secure=true",
            "--Operator:Metrics:SecurePort=0",
            "--Operator:Webhook:Disabled=false",
            "--Operator:Webhook:Port=0",
            "--Operator:Webhook:CertDir=" + certDir,
            "--Operator:Webhook:CertMode=self-managed",
            "--Operator:LeaderElection:Namespace=" + OperatorNamespace,
            "--Operator:OperatorNamespace=" + OperatorNamespace,
            "--Operator:LeaderElection:Identity=rbac-test",
            // Short lease timings, so renewals (lease updates) happen many times during the flow.
            "--Operator:LeaderElection:LeaseDuration=00:00:03",
            "--Operator:LeaderElection:RenewDeadline=00:00:02",
            "--Operator:LeaderElection:RetryPeriod=00:00:00.300",
            "--Operator:IntegrationRecheckInterval=00:00:00.500",
            "--Operator:Controller:BackoffBase=00:00:00.100",
            "--Operator:Controller:BackoffMax=00:00:01",
            "--Operator:Quay:MaxRetries=1",
            "--Operator:Quay:RetryBaseDelay=00:00:00.050",
            // A repeated Event is added to the one written before (patch) once this window has passed.
            "--Operator:EventRepeatWindow=00:00:01",
            "--Serilog:MinimumLevel:Default=Warning",
        ];
        var app = OperatorHost.Build(args);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var webhookPort = app.Services.GetRequiredService<OperatorListeners>().PortOf(OperatorListener.Webhook);
        return new RunningOperator(app, addresses.First(a => a.EndsWith($":{webhookPort}", StringComparison.Ordinal)).TrimEnd('/'));
    }

    private sealed class RunningOperator(WebApplication app, string webhookUrl) : IAsyncDisposable
    {
        public string WebhookUrl { get; } = webhookUrl;
        public WebApplication App { get; } = app;

        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await App.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
            await App.DisposeAsync();
        }
    }
}
