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
using QuayIntegration.Emulators.Cluster;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// An emulated OpenShift cluster (API server + controllers) and an emulated Quay, with the operator's CRD installed,
/// a token Secret, a CA ConfigMap and (optionally) a QuayIntegration; operators run in-process as real hosts.
/// </summary>
public sealed class OperatorEnvironment : IAsyncDisposable
{
    public const string OperatorNamespace = "quay-operator";
    public const string IntegrationName = "quay";
    private readonly List<RunningOperator> _operators = [];
    private bool _disposing;

    /// <summary>The operators started and not stopped or killed yet.</summary>
    public IReadOnlyList<RunningOperator> Operators
    {
        get { lock (_operators) return [.. _operators]; }
    }

    /// <summary>
    /// Whether an operator that stops itself after losing its Lease (as it must, <c>OperatorManager</c>) is started
    /// again (<see cref="RunningOperator"/>), as the kubelet restarts the container of a pod whose process exited. On a
    /// machine busy with other tests the in-process API server can miss the tests' short renew deadline (2 s), and
    /// without a restart nothing would lead for the rest of the test. Off for tests about the loss itself.
    /// </summary>
    public bool RestartOperatorsThatLoseTheirLease { get; set; } = true;

    private readonly bool _ownsQuay;

    private bool _plainHttpQuay;

    private OperatorEnvironment(EmulatedCluster cluster, QuayEmulator quay, string token, bool ownsQuay, QuayEmulator? secondQuay, string? secondToken)
    {
        Cluster = cluster;
        Quay = quay;
        Token = token;
        _ownsQuay = ownsQuay;
        SecondQuay = secondQuay;
        SecondToken = secondToken;
    }

    public EmulatedCluster Cluster { get; }
    public QuayEmulator Quay { get; }
    public string Token { get; private set; }

    /// <summary>A second Quay (with <c>StartAsync(secondQuay: true)</c>): its token is Secret <c>quay-token-2</c>, its CA ConfigMap <c>quay-ca-2</c>.</summary>
    public QuayEmulator? SecondQuay { get; }
    public string? SecondToken { get; }
    public k8s.Kubernetes Kube => Cluster.Client;

    /// <param name="secondQuay">Also start a second Quay (for several QuayIntegrations).</param>
    /// <param name="sharedQuay">Use this Quay (and <paramref name="sharedToken"/>) instead of starting one: another cluster's, for clusters sharing a Quay.</param>
    /// <param name="plainHttpQuay">The integration names Quay's plain HTTP address, which the cluster's nodes list as an insecure registry.</param>
    public static async Task<OperatorEnvironment> StartAsync(Action<JsonObject>? editSpec = null, bool createIntegration = true, bool openShift = true,
        bool platformPullSecrets = false, bool secondQuay = false, QuayEmulator? sharedQuay = null, string? sharedToken = null, bool plainHttpQuay = false)
    {
        var token = sharedToken ?? NewToken();
        var quay = sharedQuay ?? await StartQuayAsync(token);
        string? secondToken = secondQuay ? NewToken() : null;
        var second = secondToken is null ? null : await StartQuayAsync(secondToken);
        var options = new EmulatedClusterOptions { OpenShift = openShift, InternalRegistryPullSecrets = platformPullSecrets };
        options.RegistryCaCertificatesPem.Add(quay.CaCertificatePem);
        if (second is not null) options.RegistryCaCertificatesPem.Add(second.CaCertificatePem);
        if (plainHttpQuay) options.PlainHttpRegistries.Add(new Uri(quay.HttpBaseUrl).Authority);
        var cluster = await EmulatedCluster.StartAsync(options);
        var env = new OperatorEnvironment(cluster, quay, token, ownsQuay: sharedQuay is null, second, secondToken) { _plainHttpQuay = plainHttpQuay };
        await env.InstallAsync(editSpec, createIntegration);
        return env;
    }

    private static string NewToken() => "operator-token-" + Guid.NewGuid().ToString("N")[..20];

    private static Task<QuayEmulator> StartQuayAsync(string token) =>
        QuayEmulator.StartAsync(new QuayEmulatorOptions { NamespaceGcDelay = TimeSpan.FromSeconds(2) }
            .WithUserToken("operator", token, QuayScopes.All & ~QuayScopes.SuperUser));

    private async Task InstallAsync(Action<JsonObject>? editSpec, bool createIntegration)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot(), "deploy", "base", "crds"), "*.yaml"))
            await Kube.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file)));
        await Kube.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = OperatorNamespace } });
        await Kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "quay-token" },
            Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(Token) },
        }, OperatorNamespace);
        await Kube.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "quay-ca" },
            Data = new Dictionary<string, string> { ["ca-bundle.crt"] = Quay.CaCertificatePem },
        }, OperatorNamespace);
        if (SecondQuay is not null)
        {
            await Kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = "quay-token-2" },
                Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(SecondToken!) },
            }, OperatorNamespace);
            await Kube.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
            {
                Metadata = new V1ObjectMeta { Name = "quay-ca-2" },
                Data = new Dictionary<string, string> { ["ca-bundle.crt"] = SecondQuay.CaCertificatePem },
            }, OperatorNamespace);
        }
        if (createIntegration) await CreateIntegrationAsync(IntegrationName, editSpec);
    }

    public JsonObject DefaultSpec() => new()
    {
        ["clusterID"] = "openshift",
        ["quayHostname"] = _plainHttpQuay ? Quay.HttpBaseUrl : Quay.BaseUrl,
        ["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-token" },
        ["caBundle"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-ca" },
        ["driftCheckInterval"] = "2s",
    };

    /// <summary>The spec of an integration of the second Quay, with its own cluster ID (and so its own Secret names and prefix).</summary>
    public JsonObject SecondQuaySpec(string clusterId) => new()
    {
        ["clusterID"] = clusterId,
        ["quayHostname"] = SecondQuay!.BaseUrl,
        ["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-token-2" },
        ["caBundle"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-ca-2" },
        ["driftCheckInterval"] = "2s",
    };

    /// <summary>Creates an integration of the second Quay.</summary>
    public async Task CreateSecondQuayIntegrationAsync(string name, string clusterId, Action<JsonObject>? editSpec = null) =>
        await CreateIntegrationAsync(name, spec =>
        {
            spec.Clear();
            foreach (var (key, value) in SecondQuaySpec(clusterId)) spec[key] = value?.DeepClone();
            editSpec?.Invoke(spec);
        });

    public async Task CreateIntegrationAsync(string name, Action<JsonObject>? editSpec = null)
    {
        var spec = DefaultSpec();
        editSpec?.Invoke(spec);
        var body = new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayIntegration",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
        await Kube.CustomObjects.CreateClusterCustomObjectAsync(body, "quay.redhat.com", "v1", "quayintegrations");
    }

    public async Task PatchIntegrationSpecAsync(JsonObject specPatch, string name = IntegrationName) =>
        await Kube.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch(new JsonObject { ["spec"] = specPatch }.ToJsonString(), V1Patch.PatchType.MergePatch),
            "quay.redhat.com", "v1", "quayintegrations", name);

    public async Task<JsonObject?> GetIntegrationAsync(string name = IntegrationName)
    {
        try
        {
            return JsonNode.Parse(((System.Text.Json.JsonElement)await Kube.CustomObjects.GetClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", name)).GetRawText())!.AsObject();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The condition of the QuayIntegration's status, as (status, reason, message).</summary>
    public async Task<(string Status, string Reason, string Message)?> ConditionAsync(string type, string name = IntegrationName)
    {
        var qi = await GetIntegrationAsync(name);
        var condition = qi?["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == type);
        return condition is null ? null : (condition["status"]!.GetValue<string>(), condition["reason"]!.GetValue<string>(), condition["message"]!.GetValue<string>());
    }

    public async Task<RunningOperator> StartOperatorAsync(string identity = "operator-1", params string[] extraArgs)
    {
        // The operator runs as its own service account with exactly deploy/base/rbac.yaml, so a call its rules do not allow
        // is refused (403) as a real cluster refuses it; the admin kubeconfig stays the tests' own.
        var kubeconfig = await OperatorKubeconfigAsync(extraArgs);
        string[] args =
        [
            "--kubeconfig", kubeconfig,
            "--Operator:BindAddress=127.0.0.1",
            "--Operator:MetricsPort=0",
            "--Operator:Webhook:Disabled=true",
            "--Operator:OperatorNamespace=" + OperatorNamespace, // as POD_NAMESPACE tells it in a pod
            "--Operator:LeaderElection:Namespace=" + OperatorNamespace,
            "--Operator:LeaderElection:Identity=" + identity,
            "--Operator:LeaderElection:LeaseDuration=00:00:03",
            "--Operator:LeaderElection:RenewDeadline=00:00:02",
            "--Operator:LeaderElection:RetryPeriod=00:00:00.300",
            "--Operator:IntegrationRecheckInterval=00:00:00.500",
            "--Operator:Controller:BackoffBase=00:00:00.100",
            "--Operator:Controller:BackoffMax=00:00:01",
            "--Operator:Quay:CircuitBreakDuration=00:00:00.500",
            "--Operator:Quay:MaxRetries=1",
            "--Operator:Quay:RetryBaseDelay=00:00:00.050",
            "--Serilog:MinimumLevel:Default=Warning",
            .. extraArgs,
        ];
        var running = await RunningOperator.StartAsync(identity, args, restartWanted: () => RestartOperatorsThatLoseTheirLease && !_disposing);
        lock (_operators) _operators.Add(running);
        return running;
    }

    private const string DeployNamespace = "quay-integration";
    private const string WebhookServiceNamespaceArg = "--Operator:Webhook:ServiceNamespace=";
    private readonly HashSet<string> _rbacNamespaces = [];
    private string? _operatorKubeconfig;

    /// <summary>
    /// A kubeconfig authenticating as the operator's service account, bound by exactly <c>deploy/base/service_account.yaml</c>
    /// and <c>deploy/base/rbac.yaml</c>, installed with the admin's client and their namespace (<c>quay-integration</c>) moved
    /// to <see cref="OperatorNamespace"/> as installing deploy/ into another namespace does (kustomize's <c>namespace:</c>
    /// sets metadata.namespace and the namespace of ServiceAccount subjects). The token comes from the TokenRequest API.
    /// When <paramref name="extraArgs"/> put the webhook Service (and so the self-managed certificate Secret) in another
    /// namespace than the operator's, the namespaced Role and RoleBinding are installed there too, as an administrator
    /// of such an install must: deploy/ keeps both in one namespace.
    /// </summary>
    public async Task<string> OperatorKubeconfigAsync(params string[] extraArgs)
    {
        var deploy = Path.Combine(RepoRoot(), "deploy", "base");
        var namespaces = new List<string> { OperatorNamespace };
        if (extraArgs.LastOrDefault(a => a.StartsWith(WebhookServiceNamespaceArg, StringComparison.Ordinal)) is { } arg
            && arg[WebhookServiceNamespaceArg.Length..] is { Length: > 0 } serviceNamespace) namespaces.Add(serviceNamespace);
        string? serviceAccount = null;
        var first = _operatorKubeconfig is null;
        foreach (var file in new[] { "service_account.yaml", "rbac.yaml" })
        {
            foreach (var manifest in KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(Path.Combine(deploy, file))))
            {
                switch (manifest)
                {
                    case V1ServiceAccount sa:
                        serviceAccount = sa.Metadata.Name;
                        sa.Metadata.NamespaceProperty = OperatorNamespace;
                        if (first) await Kube.CoreV1.CreateNamespacedServiceAccountAsync(sa, OperatorNamespace);
                        break;
                    case V1ClusterRole role:
                        if (first) await Kube.RbacAuthorizationV1.CreateClusterRoleAsync(role);
                        break;
                    case V1ClusterRoleBinding binding:
                        foreach (var subject in binding.Subjects.Where(x => x.NamespaceProperty == DeployNamespace)) subject.NamespaceProperty = OperatorNamespace;
                        if (first) await Kube.RbacAuthorizationV1.CreateClusterRoleBindingAsync(binding);
                        break;
                    case V1Role role:
                        foreach (var ns in namespaces.Where(n => !_rbacNamespaces.Contains(n)))
                        {
                            role.Metadata.NamespaceProperty = ns;
                            await Kube.RbacAuthorizationV1.CreateNamespacedRoleAsync(role, ns);
                        }
                        break;
                    case V1RoleBinding binding:
                        foreach (var subject in binding.Subjects.Where(x => x.NamespaceProperty == DeployNamespace)) subject.NamespaceProperty = OperatorNamespace;
                        foreach (var ns in namespaces.Where(n => !_rbacNamespaces.Contains(n)))
                        {
                            binding.Metadata.NamespaceProperty = ns;
                            await Kube.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(binding, ns);
                        }
                        break;
                    default:
                        throw new InvalidDataException($"unexpected object in deploy/{file}: {manifest.GetType().Name}");
                }
            }
        }
        _rbacNamespaces.UnionWith(namespaces);
        if (_operatorKubeconfig is not null) return _operatorKubeconfig;
        var path = Path.Combine(Path.GetTempPath(), $"operator-sa-{Guid.NewGuid():N}.kubeconfig");
        OperatorUser = $"system:serviceaccount:{OperatorNamespace}:{serviceAccount ?? throw new InvalidDataException("deploy/base/service_account.yaml names no ServiceAccount")}";
        _operatorKubeconfig = await ServiceAccountKubeconfig.WriteAsync(Kube, Cluster.ApiServer, OperatorNamespace, serviceAccount, path);
        return _operatorKubeconfig;
    }

    /// <summary>The user the operator started by this environment authenticates as (once one was started).</summary>
    public string? OperatorUser { get; private set; }

    public async Task StopOperatorAsync(RunningOperator op)
    {
        lock (_operators) _operators.Remove(op);
        await op.DisposeAsync();
    }

    /// <summary>Stops an operator without letting anything finish: its work is cut wherever it is, its Lease left to expire.</summary>
    public async Task KillOperatorAsync(RunningOperator op)
    {
        lock (_operators) _operators.Remove(op);
        await op.KillAsync();
    }

    public async Task<V1Namespace?> GetNamespaceAsync(string name)
    {
        try
        {
            return await Kube.CoreV1.ReadNamespaceAsync(name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<V1Secret?> GetSecretAsync(string ns, string name)
    {
        try
        {
            return await Kube.CoreV1.ReadNamespacedSecretAsync(name, ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The QuayNamespace (ownership record and status) of a namespace, or null.</summary>
    public async Task<JsonObject?> GetRecordAsync(string ns)
    {
        try
        {
            return JsonNode.Parse(((System.Text.Json.JsonElement)await Kube.CustomObjects.GetClusterCustomObjectAsync("quay.redhat.com", "v1", "quaynamespaces", ns)).GetRawText())!.AsObject();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>What the namespace's record lists as kept (status.kept), empty without a record.</summary>
    public async Task<IReadOnlyList<string>> KeptAsync(string ns) =>
        (await GetRecordAsync(ns))?["status"]?["kept"]?.AsArray().Select(k => k!.GetValue<string>()).ToList() ?? [];

    /// <summary>The origin the record gives an organization, or null when it has no entry for it.</summary>
    public async Task<string?> RecordedOriginAsync(string ns, string org) =>
        (await GetRecordAsync(ns))?["spec"]?["organizations"]?.AsArray()
            .FirstOrDefault(o => o?["name"]?.GetValue<string>() == org)?["origin"]?.GetValue<string>();

    public Task CreateNamespaceAsync(string name, IDictionary<string, string>? labels = null) =>
        Kube.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels } });

    /// <summary>Sets (or with null removes) one label of a namespace.</summary>
    public Task LabelNamespaceAsync(string name, string key, string? value) =>
        Kube.CoreV1.PatchNamespaceAsync(new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [key] = value } },
        }.ToJsonString(), V1Patch.PatchType.MergePatch), name);

    public Task CreateImageStreamAsync(string ns, string name) =>
        Kube.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1",
            ["kind"] = "ImageStream",
            ["metadata"] = new JsonObject { ["name"] = name },
        }, "image.openshift.io", "v1", ns, "imagestreams");

    /// <summary>
    /// True when the namespace is fully set up: organization, the 3 robots with their prototypes, 3 Secrets, SAs
    /// linked, and the namespace marked synced with this organization.
    /// </summary>
    public async Task<bool> IsSeededAsync(string ns, string org, string clusterId = "openshift", QuayEmulator? quay = null)
    {
        quay ??= Quay;
        var state = quay.State.Organization(org);
        if (state is null) return false;
        string[] accounts = ["builder", "default", "deployer"];
        if (!accounts.All(sa => state.Robots.Any(r => r.Name == $"{org}+{sa}") && state.Prototypes.Any(p => p.DelegateName == $"{org}+{sa}"))) return false;
        foreach (var sa in new[] { "builder", "default", "deployer" })
        {
            var secret = await GetSecretAsync(ns, $"{sa}-quay-{clusterId}");
            var robot = state.Robots.FirstOrDefault(r => r.Name == $"{org}+{sa}");
            if (secret is null || robot is null || DockerAuth(secret, quay) != $"{org}+{sa}:{robot.Token}") return false;
            V1ServiceAccount account;
            try { account = await Kube.CoreV1.ReadNamespacedServiceAccountAsync(sa, ns); }
            catch (HttpOperationException) { return false; }
            if (account.Secrets?.Any(s => s.Name == secret.Metadata.Name) != true || account.ImagePullSecrets?.Any(s => s.Name == secret.Metadata.Name) != true)
                return false;
        }
        // The operator marks the namespace last (label, organization and ownership annotations in one patch): until
        // then the sync has not finished, whatever Quay and the Secrets show.
        var marked = await GetNamespaceAsync(ns);
        var labels = marked?.Metadata.Labels ?? new Dictionary<string, string>();
        var annotations = marked?.Metadata.Annotations ?? new Dictionary<string, string>();
        return labels.TryGetValue("quay.redhat.com/managed", out var managed) && managed == "true"
               && annotations.TryGetValue("quay.redhat.com/organization", out var organization) && organization == org
               && annotations.ContainsKey("quay.redhat.com/organization-ownership");
    }

    /// <summary>"user:password" of the Secret's single auths entry for the Quay host.</summary>
    public string? DockerAuth(V1Secret secret, QuayEmulator? quay = null)
    {
        if (secret.Type != "kubernetes.io/dockerconfigjson" || secret.Data is null || !secret.Data.TryGetValue(".dockerconfigjson", out var bytes)) return null;
        var auths = JsonNode.Parse(bytes)!["auths"]!.AsObject();
        var entry = auths[(quay ?? Quay).RegistryHost];
        return entry is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(entry["auth"]!.GetValue<string>()));
    }

    public static Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        QuayIntegration.Testing.Polling.Eventually(condition, what, timeout);

    /// <summary>
    /// The first Event in <paramref name="ns"/> that <paramref name="match"/> accepts, once one is there. The operator
    /// writes Events in the background, after the status they accompany, so a test that saw the status must still wait.
    /// </summary>
    public async Task<Corev1Event> EventAsync(string ns, Func<Corev1Event, bool> match, string what, TimeSpan? timeout = null)
    {
        Corev1Event? found = null;
        await Eventually(async () => (found = (await Kube.CoreV1.ListNamespacedEventAsync(ns)).Items.FirstOrDefault(match)) is not null, what, timeout);
        return found!;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayIntegration.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    public async ValueTask DisposeAsync()
    {
        lock (_operators) _disposing = true;
        foreach (var op in Operators) await op.DisposeAsync();
        await Cluster.DisposeAsync();
        if (_ownsQuay) await Quay.DisposeAsync();
        if (SecondQuay is not null) await SecondQuay.DisposeAsync();
    }
}

/// <summary>
/// An operator as its pod runs it: one process (<see cref="App"/>) at a time. One that stops itself after losing its
/// Lease is started again, while <c>restartWanted</c> says so, with the same identity, arguments and ports, as the
/// kubelet restarts a container in the same pod: the URLs, and the webhook Service mapped to its port, stay valid.
/// </summary>
public sealed class RunningOperator : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly string _identity;
    private readonly string[] _args;
    private readonly Func<bool> _restartWanted;
    private WebApplication _app;
    private Task _restart = Task.CompletedTask;
    private bool _stopped;

    private RunningOperator(string identity, string[] args, Func<bool> restartWanted, WebApplication app)
    {
        (_identity, _args, _restartWanted, _app) = (identity, args, restartWanted, app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First(a => a.StartsWith("http://")).TrimEnd('/');
        WebhookUrl = addresses.FirstOrDefault(a => a.StartsWith("https://"))?.TrimEnd('/');
    }

    public static async Task<RunningOperator> StartAsync(string identity, string[] args, Func<bool> restartWanted)
    {
        var app = OperatorHost.Build(args);
        await app.StartAsync();
        var running = new RunningOperator(identity, args, restartWanted, app);
        running.RestartWhenItLosesItsLease(app);
        return running;
    }

    /// <summary>The process running now (another one after a restart).</summary>
    public WebApplication App
    {
        get { lock (_gate) return _app; }
    }

    public string BaseUrl { get; }

    /// <summary>The HTTPS listener for the admission webhook, when a certificate was configured.</summary>
    public string? WebhookUrl { get; }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>The values of the series on its plain /metrics whose line starts with <paramref name="series"/>.</summary>
    public async Task<List<double>> MetricSamplesAsync(HttpClient http, string series) =>
        (await http.GetStringAsync(BaseUrl + "/metrics")).Split('\n')
            .Where(l => l.StartsWith(series, StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    private void RestartWhenItLosesItsLease(WebApplication app) =>
        // An operator stopping itself asks its host to stop; one started with StartAsync is run down by the restart.
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            lock (_gate)
                if (!_stopped && app == _app && _restartWanted() && app.Services.GetRequiredService<OperatorExit>().Reason == OperatorExit.LostLease)
                    _restart = Task.Run(() => RestartAsync(app));
        });

    private async Task RestartAsync(WebApplication exited)
    {
        try
        {
            Console.Error.WriteLine($"[test environment] operator {_identity} lost its Lease and stopped; starting it again, as the kubelet would");
            var listeners = exited.Services.GetRequiredService<OperatorListeners>();
            string[] samePorts =
            [
                .. Pin("--Operator:MetricsPort=", listeners.PortOf(OperatorListener.Metrics)),
                .. Pin("--Operator:Webhook:Port=", listeners.PortOf(OperatorListener.Webhook)),
                .. Pin("--Operator:Metrics:SecurePort=", listeners.PortOf(OperatorListener.SecureMetrics)),
            ];
            await StopAsync(exited, graceful: true);
            var app = await StartAgainAsync([.. _args, .. samePorts]);
            if (app is null) return; // stopped meanwhile: the stop disposes the exited host
            lock (_gate) _app = app; // a stop waiting for this restart stops this one
            // Disposed only now, so that App was never a disposed host.
            await exited.DisposeAsync();
            RestartWhenItLosesItsLease(app);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[test environment] operator {_identity} could not be started again: {e}");
        }
    }

    private static IEnumerable<string> Pin(string option, int? port) => port is { } p ? [option + p] : [];

    /// <summary>A new process, after the kubelet's pause; tried again while a port is not free yet. Null once stopped for good.</summary>
    private async Task<WebApplication?> StartAgainAsync(string[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            lock (_gate) if (_stopped) return null;
            var app = OperatorHost.Build(args);
            try
            {
                await app.StartAsync();
                return app;
            }
            catch (IOException e) when (attempt < 5)
            {
                Console.Error.WriteLine($"[test environment] operator {_identity} could not start again yet ({e.Message}); trying again");
                await app.DisposeAsync();
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
        }
    }

    private static async Task StopAsync(WebApplication app, bool graceful)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await app.StopAsync(graceful ? timeout.Token : new CancellationToken(canceled: true)); } catch (OperationCanceledException) { }
    }

    /// <summary>Stops the operator for good (after a restart under way, which then starts nothing or is what is stopped).</summary>
    private async Task EndAsync(bool graceful)
    {
        Task restart;
        lock (_gate)
        {
            if (_stopped) return;
            _stopped = true;
            restart = _restart;
        }
        await restart;
        var app = App;
        await StopAsync(app, graceful);
        await app.DisposeAsync();
    }

    /// <summary>Stops without letting anything finish: its work is cut wherever it is, its Lease left to expire.</summary>
    public Task KillAsync() => EndAsync(graceful: false);

    public async ValueTask DisposeAsync() => await EndAsync(graceful: true);
}
