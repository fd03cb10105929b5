using QuayIntegration.Emulators.Cluster.Builds;
using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Emulators.Cluster;

/// <summary>
/// What kind of cluster to emulate. Defaults: an OpenShift cluster with the Build and DeploymentConfig capabilities and
/// the integrated registry, whose controllers act a few tens of milliseconds after the fact (asynchronous, as in a real
/// cluster, yet fast enough for tests).
/// </summary>
public sealed class EmulatedClusterOptions
{
    /// <summary>OpenShift APIs and controllers (projects, builds, image streams, sa.scc annotations, builder/deployer SAs). Off = plain Kubernetes.</summary>
    public bool OpenShift { get; set; } = true;
    /// <summary>The Build capability: without it openshift-controller-manager creates no <c>builder</c> service accounts.</summary>
    public bool BuildCapability { get; set; } = true;
    /// <summary>The DeploymentConfig capability: without it openshift-controller-manager creates no <c>deployer</c> service accounts.</summary>
    public bool DeploymentConfigCapability { get; set; } = true;
    /// <summary>The integrated registry's host, which ImageStreams' <c>status.dockerImageRepository</c> names; null = no integrated registry.</summary>
    public string? InternalRegistryHostname { get; set; } = "image-registry.openshift-image-registry.svc:5000";
    /// <summary>
    /// Give every service account a <c>&lt;sa&gt;-dockercfg-xxxxx</c> pull secret for the integrated registry, listed in its
    /// <c>secrets</c> and <c>imagePullSecrets</c> (openshift-controller-manager, 4.16+). Off by default: turn it on to have
    /// the platform write service account lists concurrently with the operator. Needs <see cref="InternalRegistryHostname"/>.
    /// </summary>
    public bool InternalRegistryPullSecrets { get; set; }

    /// <summary>Delay between a namespace appearing and its service accounts being created.</summary>
    public TimeSpan ServiceAccountDelay { get; set; } = TimeSpan.FromMilliseconds(30);
    /// <summary>Delay between a namespace appearing and its <c>openshift.io/sa.scc.*</c> annotations.</summary>
    public TimeSpan SecurityAllocationDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Delay between a service account appearing and its integrated-registry pull secret being listed.</summary>
    public TimeSpan PullSecretDelay { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>How often a Terminating namespace whose content is not all gone (finalizers) is looked at again.</summary>
    public TimeSpan NamespaceContentRecheck { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>How long builds stay in each phase.</summary>
    public BuildTimings BuildTimings { get; } = new();

    /// <summary>
    /// CA certificates (PEM) that build pods and the API server's image imports trust when talking to registries (e.g.
    /// the emulated Quay's), besides the system roots.
    /// </summary>
    public List<string> RegistryCaCertificatesPem { get; } = [];
    /// <summary>Registry hosts (<c>host:port</c>) that build pods reach over plain HTTP.</summary>
    public List<string> PlainHttpRegistries { get; } = [];

    /// <summary>Where to write the kubeconfig; null = a fresh temporary file, deleted on disposal.</summary>
    public string? KubeconfigPath { get; set; }
    /// <summary>Settings of the API server itself (port, token, watch history…). The OpenShift, registry and CA settings above are copied into it.</summary>
    public ApiServerOptions ApiServer { get; } = new();
}
