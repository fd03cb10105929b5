using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Benchmarks.World;

/// <summary>
/// The emulated Quay and the emulated API server, with the operator's CRD, token Secret, CA ConfigMap and one
/// QuayIntegration installed, and the namespaces of a benchmark world. The harness plays the platform controllers
/// itself (sa.scc annotations, the three service accounts with their dockercfg pull secrets) instead of running the
/// emulated controllers: it is deterministic, and on a 2-core machine it keeps CPU for the operator being measured.
/// </summary>
public sealed class BenchmarkWorld : IAsyncDisposable
{
    // Where the operator runs, as on OpenShift: openshift-* namespaces are never synced, so it is not part of the world.
    public const string OperatorNamespace = "openshift-operators";
    public const string IntegrationName = "quay";
    public const string ClusterId = "openshift";
    public const string OrganizationPrefix = "openshift";
    public static readonly string[] ServiceAccounts = ["builder", "default", "deployer"];
    public static readonly IReadOnlyDictionary<string, string> Roles = new Dictionary<string, string>
    {
        ["builder"] = "write", ["default"] = "read", ["deployer"] = "read",
    };

    /// <summary>Parallel creates against the in-process API server; more only queues on 2 cores.</summary>
    private const int CreateParallelism = 16;

    private readonly string _directory;

    private BenchmarkWorld(QuayEmulator quay, KubernetesApiServer api, string directory, string token)
    {
        Quay = quay;
        Api = api;
        _directory = directory;
        Token = token;
        KubeconfigPath = Path.Combine(directory, "kubeconfig");
        api.WriteKubeconfig(KubeconfigPath);
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));
    }

    public QuayEmulator Quay { get; }
    public KubernetesApiServer Api { get; }
    public Kubernetes Client { get; }
    public string KubeconfigPath { get; }
    public string Token { get; }
    /// <summary>A private scratch folder (kubeconfig, webhook certificates), deleted on dispose.</summary>
    public string Directory => _directory;

    /// <summary>Starts both emulators; every Quay API call then takes <paramref name="latencyMs"/> more.</summary>
    public static async Task<BenchmarkWorld> StartAsync(int latencyMs, CancellationToken ct)
    {
        var token = "bench-operator-" + Guid.NewGuid().ToString("N")[..20];
        var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions { NamespaceGcDelay = TimeSpan.FromSeconds(1) }
            .WithUserToken("operator", token, QuayScopes.All & ~QuayScopes.SuperUser), ct);
        KubernetesApiServer? api = null;
        try
        {
            // A large watch history so the operator's watches never see 410 because the harness wrote a big world fast.
            api = await KubernetesApiServer.StartAsync(new ApiServerOptions { WatchHistorySize = 200_000 }, ct);
            var directory = Path.Combine(Path.GetTempPath(), "quay-bench-" + Guid.NewGuid().ToString("N")[..8]);
            System.IO.Directory.CreateDirectory(directory);
            if (latencyMs > 0) quay.Faults.Add(new FaultRule { LatencyMs = latencyMs });
            return new BenchmarkWorld(quay, api, directory, token);
        }
        catch
        {
            if (api is not null) await api.DisposeAsync();
            await quay.DisposeAsync();
            throw;
        }
    }

    /// <summary>CRDs from deploy/base/crds, operator namespace, token Secret, CA ConfigMap and the QuayIntegration.</summary>
    public async Task InstallIntegrationAsync(string driftCheckInterval, CancellationToken ct)
    {
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "deploy", "base", "crds"), "*.yaml"))
            // Read as kubectl reads it (the shared YamlJson), not with KubernetesYaml, whose YamlDotNet typing of the
            // untyped parts of a CRD (a schema's default, enum and example values) is its own.
            await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(
                KubernetesJson.Deserialize<V1CustomResourceDefinition>(YamlJson.LoadSingle(await File.ReadAllTextAsync(file, ct)).ToJsonString()),
                cancellationToken: ct);
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = OperatorNamespace } }, cancellationToken: ct);
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "quay-token" },
            Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(Token) },
        }, OperatorNamespace, cancellationToken: ct);
        await Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "quay-ca" },
            Data = new Dictionary<string, string> { ["ca-bundle.crt"] = Quay.CaCertificatePem },
        }, OperatorNamespace, cancellationToken: ct);

        // The CRD's resource is served once it is established; retry briefly rather than assume it is immediate.
        var body = new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayIntegration",
            ["metadata"] = new JsonObject { ["name"] = IntegrationName },
            ["spec"] = new JsonObject
            {
                ["clusterID"] = ClusterId,
                ["quayHostname"] = Quay.BaseUrl,
                ["organizationPrefix"] = OrganizationPrefix,
                ["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-token", ["key"] = "token" },
                ["caBundle"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-ca", ["key"] = "ca-bundle.crt" },
                ["driftCheckInterval"] = driftCheckInterval,
            },
        };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Client.CustomObjects.CreateClusterCustomObjectAsync(body, "quay.redhat.com", "v1", "quayintegrations", cancellationToken: ct);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && attempt < 50)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    public Task PatchIntegrationSpecAsync(JsonObject spec, CancellationToken ct) =>
        Client.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch(new JsonObject { ["spec"] = spec }.ToJsonString(), V1Patch.PatchType.MergePatch),
            "quay.redhat.com", "v1", "quayintegrations", IntegrationName, cancellationToken: ct);

    public static string OrganizationFor(string ns) => $"{OrganizationPrefix}_{ns}".ToLowerInvariant();

    public static string ImageStreamName(int index) => $"app{index}";

    /// <summary>Creates many namespaces in parallel (see <see cref="CreateNamespaceAsync"/>).</summary>
    public Task PopulateAsync(IReadOnlyList<string> names, int imageStreams, Clutter clutter, CancellationToken ct) =>
        Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = CreateParallelism, CancellationToken = ct },
            async (name, token) => await CreateNamespaceAsync(name, imageStreams, clutter, token));

    /// <summary>
    /// A project as OpenShift leaves it: display-name and sa.scc annotations, the three service accounts each with a
    /// <c>&lt;sa&gt;-dockercfg-xxxxx</c> pull secret listed in <c>secrets</c> and <c>imagePullSecrets</c>, unrelated
    /// Secrets and ConfigMaps (which the operator must not cache), and <paramref name="imageStreams"/> ImageStreams.
    /// </summary>
    public async Task CreateNamespaceAsync(string name, int imageStreams, Clutter clutter, CancellationToken ct)
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Annotations = new Dictionary<string, string>
                {
                    ["openshift.io/display-name"] = name,
                    ["openshift.io/requester"] = "bench",
                    ["openshift.io/sa.scc.mcs"] = "s0:c26,c5",
                    ["openshift.io/sa.scc.supplemental-groups"] = "1000670000/10000",
                    ["openshift.io/sa.scc.uid-range"] = "1000670000/10000",
                },
                Labels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = name },
            },
        }, cancellationToken: ct);

        var tasks = new List<Task>();
        foreach (var sa in ServiceAccounts) tasks.Add(CreateServiceAccountAsync(name, sa, ct));
        for (var i = 0; i < clutter.Secrets; i++) tasks.Add(Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = $"app-secret-{i}", Labels = new Dictionary<string, string> { ["app"] = "demo" } },
            Type = "Opaque",
            Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes(new string('x', clutter.SecretBytes)) },
        }, name, cancellationToken: ct));
        for (var i = 0; i < clutter.ConfigMaps; i++) tasks.Add(Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = $"app-config-{i}" },
            Data = new Dictionary<string, string> { ["settings.yaml"] = new('y', clutter.ConfigMapBytes) },
        }, name, cancellationToken: ct));
        for (var i = 0; i < imageStreams; i++) tasks.Add(CreateImageStreamAsync(name, ImageStreamName(i), ct));
        await Task.WhenAll(tasks);
    }

    private async Task CreateServiceAccountAsync(string ns, string sa, CancellationToken ct)
    {
        // The integrated registry's pull secret, as openshift-controller-manager creates and links it.
        var pullSecret = $"{sa}-dockercfg-{Guid.NewGuid().ToString("N")[..5]}";
        await Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = pullSecret,
                Annotations = new Dictionary<string, string> { ["openshift.io/internal-registry-auth-token.service-account"] = sa },
            },
            Type = "kubernetes.io/dockercfg",
            Data = new Dictionary<string, byte[]>
            {
                [".dockercfg"] = Encoding.UTF8.GetBytes("{\"image-registry.openshift-image-registry.svc:5000\":{\"auth\":\"c2E6dG9rZW4=\"}}"),
            },
        }, ns, cancellationToken: ct);
        await Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta
            {
                Name = sa,
                Annotations = new Dictionary<string, string> { ["openshift.io/internal-registry-pull-secret-ref"] = pullSecret },
            },
            Secrets = [new V1ObjectReference { Name = pullSecret }],
            ImagePullSecrets = [new V1LocalObjectReference { Name = pullSecret }],
        }, ns, cancellationToken: ct);
    }

    public Task CreateImageStreamAsync(string ns, string name, CancellationToken ct) =>
        Client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1",
            ["kind"] = "ImageStream",
            ["metadata"] = new JsonObject { ["name"] = name },
        }, "image.openshift.io", "v1", ns, "imagestreams", cancellationToken: ct);

    public Task DeleteImageStreamAsync(string ns, string name, CancellationToken ct) =>
        Client.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", ns, "imagestreams", name, cancellationToken: ct);

    public Task DeleteNamespaceAsync(string name, CancellationToken ct) => Client.CoreV1.DeleteNamespaceAsync(name, cancellationToken: ct);

    /// <summary>
    /// Plays kube-controller-manager's last step for a Terminating namespace (no namespace controller runs here):
    /// drops the <c>kubernetes</c> spec finalizer so the namespace goes once the operator has removed its own finalizer.
    /// </summary>
    public async Task FinalizeNamespaceAsync(string name, CancellationToken ct)
    {
        try
        {
            var ns = await Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
            if (ns.Spec?.Finalizers is not { Count: > 0 }) return;
            ns.Spec.Finalizers = [];
            await Client.CoreV1.ReplaceNamespaceFinalizeAsync(ns, name, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        await Quay.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The unrelated objects in every namespace that the operator must neither watch nor cache.</summary>
public sealed record Clutter(int Secrets, int ConfigMaps, int SecretBytes = 512, int ConfigMapBytes = 1024)
{
    public static readonly Clutter Usual = new(4, 4);
}

/// <summary>The repository's root (the folder holding QuayIntegration.sln), found from the working folder or the binary.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "QuayIntegration.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("QuayIntegration.sln not found above the working folder or the harness binary.");
    }
}
