using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuayIntegration.Emulators.Cluster.Builds;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Emulators.Cluster.Controllers;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Emulators.Cluster;

/// <summary>
/// An emulated cluster: the emulated API server plus the controllers that, in a real cluster, run outside it
/// (kube-controller-manager, openshift-controller-manager, cluster-policy-controller, build pods), each connected to the
/// API server over HTTPS through its own KubernetesClient built from the kubeconfig, as in a real control plane.
/// </summary>
public sealed class EmulatedCluster : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping;
    private readonly List<Task> _controllers;
    private readonly List<KubernetesConnection> _connections;
    private readonly bool _ownsKubeconfig;
    private readonly ILogger _logger;

    private EmulatedCluster(KubernetesApiServer apiServer, string kubeconfigPath, bool ownsKubeconfig, EmulatedClusterOptions options,
        KubernetesConnection testConnection, List<KubernetesConnection> connections, List<Task> controllers, CancellationTokenSource stopping, ILogger logger)
    {
        ApiServer = apiServer;
        KubeconfigPath = kubeconfigPath;
        _ownsKubeconfig = ownsKubeconfig;
        Options = options;
        TestConnection = testConnection;
        Oc = new OpenShiftCli(testConnection);
        _connections = connections;
        _controllers = controllers;
        _stopping = stopping;
        _logger = logger;
    }

    public KubernetesApiServer ApiServer { get; }
    public EmulatedClusterOptions Options { get; }
    public string KubeconfigPath { get; }
    /// <summary><c>https://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string BaseUrl => ApiServer.BaseUrl;
    /// <summary>A client for tests, from the kubeconfig (the same way the operator connects).</summary>
    public k8s.Kubernetes Client => TestConnection.Client;
    public KubernetesConnection TestConnection { get; }
    /// <summary><c>oc</c>, logged in as the test client.</summary>
    public OpenShiftCli Oc { get; }

    /// <summary>A new, independent client from the kubeconfig (dispose it).</summary>
    public k8s.Kubernetes NewClient() => new(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    public static async Task<EmulatedCluster> StartAsync(EmulatedClusterOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatedClusterOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<EmulatedCluster>();

        var serverOptions = options.ApiServer;
        serverOptions.ServeOpenShiftApis = options.OpenShift;
        serverOptions.InternalRegistryHostname = options.OpenShift ? options.InternalRegistryHostname : null;
        foreach (var pem in options.RegistryCaCertificatesPem.Where(p => !serverOptions.RegistryCaCertificatesPem.Contains(p)))
        {
            serverOptions.RegistryCaCertificatesPem.Add(pem);
        }
        var apiServer = await KubernetesApiServer.StartAsync(serverOptions, cancellationToken);
        try
        {
            return Start(apiServer, options, loggerFactory, logger);
        }
        catch
        {
            await apiServer.DisposeAsync();
            throw;
        }
    }

    private static EmulatedCluster Start(KubernetesApiServer apiServer, EmulatedClusterOptions options, ILoggerFactory loggerFactory, ILogger logger)
    {
        var ownsKubeconfig = options.KubeconfigPath is null;
        var kubeconfigPath = options.KubeconfigPath ?? Path.Combine(Path.GetTempPath(), $"emulated-cluster-{Guid.NewGuid():N}.kubeconfig");
        apiServer.WriteKubeconfig(kubeconfigPath);

        // One connection per control-plane process, as each has its own client and credentials in a real cluster.
        var kubeControllerManager = KubernetesConnection.FromKubeconfig(kubeconfigPath);
        var openshiftControllerManager = KubernetesConnection.FromKubeconfig(kubeconfigPath);
        var clusterPolicyController = KubernetesConnection.FromKubeconfig(kubeconfigPath);
        var connections = new List<KubernetesConnection> { kubeControllerManager, openshiftControllerManager, clusterPolicyController };

        var controllers = new List<IClusterController>
        {
            new NamespaceDeletionController(kubeControllerManager.Client, kubeControllerManager.Dynamic, options.NamespaceContentRecheck, loggerFactory.CreateLogger<NamespaceDeletionController>()),
            new ServiceAccountsController(kubeControllerManager.Client, "serviceaccount", ["default"], options.ServiceAccountDelay, loggerFactory.CreateLogger<ServiceAccountsController>()),
            new ClusterRoleAggregationController(kubeControllerManager.Client, loggerFactory.CreateLogger<ClusterRoleAggregationController>()),
            new CertificateSigningController(kubeControllerManager.Client, apiServer.ClusterSigningKeyPair.CertificatePem, apiServer.ClusterSigningKeyPair.KeyPem,
                loggerFactory.CreateLogger<CertificateSigningController>()),
        };
        if (options.OpenShift)
        {
            var openshiftServiceAccounts = new List<string>();
            if (options.BuildCapability)
            {
                openshiftServiceAccounts.Add("builder");
            }
            if (options.DeploymentConfigCapability)
            {
                openshiftServiceAccounts.Add("deployer");
            }
            if (openshiftServiceAccounts.Count > 0)
            {
                controllers.Add(new ServiceAccountsController(openshiftControllerManager.Client, "openshift-serviceaccount", openshiftServiceAccounts,
                    options.ServiceAccountDelay, loggerFactory.CreateLogger<ServiceAccountsController>()));
            }
            controllers.Add(new ProjectFinalizerController(openshiftControllerManager.Client, loggerFactory.CreateLogger<ProjectFinalizerController>()));
            if (options.InternalRegistryPullSecrets && options.InternalRegistryHostname is { } registryHost)
            {
                controllers.Add(new RegistryPullSecretController(openshiftControllerManager.Client, InternalRegistryHosts(registryHost),
                    options.PullSecretDelay, loggerFactory.CreateLogger<RegistryPullSecretController>()));
            }
            controllers.Add(new NamespaceSecurityAllocationController(clusterPolicyController.Client, options.SecurityAllocationDelay,
                loggerFactory.CreateLogger<NamespaceSecurityAllocationController>()));
            if (options.BuildCapability)
            {
                controllers.Add(new BuildRunner(openshiftControllerManager.Client, options.BuildTimings, CreateRegistryTrust(options),
                    loggerFactory.CreateLogger<BuildRunner>()));
            }
        }

        var stopping = new CancellationTokenSource();
        var running = controllers.Select(c => RunControllerAsync(c, logger, stopping.Token)).ToList();
        var testConnection = KubernetesConnection.FromKubeconfig(kubeconfigPath);
        logger.LogInformation("emulated cluster at {BaseUrl}, kubeconfig {Kubeconfig}, controllers: {Controllers}",
            apiServer.BaseUrl, kubeconfigPath, string.Join(", ", controllers.Select(c => c.Name)));
        return new EmulatedCluster(apiServer, kubeconfigPath, ownsKubeconfig, options, testConnection, connections, running, stopping, logger);
    }

    /// <summary>The names under which the integrated registry is known, as its pull secrets list them.</summary>
    private static IReadOnlyList<string> InternalRegistryHosts(string registryHost)
    {
        var hosts = new List<string> { registryHost };
        var colon = registryHost.LastIndexOf(':');
        var (host, port) = colon < 0 ? (registryHost, "") : (registryHost[..colon], registryHost[colon..]);
        if (host.EndsWith(".svc", StringComparison.Ordinal))
        {
            hosts.Add($"{host}.cluster.local{port}");
        }
        return hosts;
    }

    private static RegistryTrust CreateRegistryTrust(EmulatedClusterOptions options)
    {
        var trust = new RegistryTrust();
        foreach (var pem in options.RegistryCaCertificatesPem)
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPem(pem);
            trust.CertificateAuthorities.AddRange(certificates);
        }
        foreach (var host in options.PlainHttpRegistries)
        {
            trust.PlainHttpRegistries.Add(host);
        }
        return trust;
    }

    private static async Task RunControllerAsync(IClusterController controller, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Run(() => controller.RunAsync(cancellationToken), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "controller {Controller} stopped unexpectedly", controller.Name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_controllers).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("some controllers did not stop within 10s");
        }
        Oc.Dispose();
        TestConnection.Dispose();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }
        await ApiServer.DisposeAsync();
        _stopping.Dispose();
        if (_ownsKubeconfig)
        {
            File.Delete(KubeconfigPath);
        }
    }
}
