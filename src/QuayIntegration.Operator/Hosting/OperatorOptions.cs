using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator;

/// <summary>
/// Host options, bound from the "Operator" configuration section: environment variables (<c>Operator__Workers=4</c>),
/// command-line (<c>--Operator:Workers=4</c>) and the short flags listed in <see cref="Hosting.CommandLine.SwitchMappings"/>.
/// </summary>
public sealed class OperatorOptions
{
    public const string Section = "Operator";

    /// <summary>Path of a kubeconfig; otherwise KUBECONFIG, then the in-cluster service account, then ~/.kube/config.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The operator's own namespace, never synced unless allow-listed; empty = POD_NAMESPACE or the service account mount.</summary>
    public string? OperatorNamespace { get; set; }

    /// <summary>Address the HTTP (metrics, health) and webhook listeners bind to.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Port for /healthz and /readyz over plain HTTP, and /metrics unless <see cref="MetricsOptions.Secure"/> (0 = any free port).</summary>
    public int MetricsPort { get; set; } = 8080;

    /// <summary>Workers of the namespace, ImageStream and Build controllers; 0 (the default) means twice the Quay concurrency cap.</summary>
    public int Workers { get; set; }

    /// <summary>
    /// A reconcile spends part of its time on the API server between its Quay calls; with only as many workers as the
    /// cap allows Quay calls, the cap would sit partly idle while a backlog waits. Workers are cheap (async tasks).
    /// </summary>
    public int EffectiveWorkers => Workers > 0 ? Workers : 2 * Math.Max(1, Quay.MaxConcurrentCalls);

    /// <summary>How often informers replay their cache to the controllers.</summary>
    public TimeSpan ResyncPeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Items per LIST request of the informers' initial lists (client-go's pager uses 500); 0, the default, lists each
    /// kind in one request. Items are trimmed and cached as they arrive either way; worth setting on a very large
    /// cluster, where one request for a whole kind could outlast <see cref="ApiRequestTimeout"/>.
    /// </summary>
    public int ListPageSize { get; set; }

    /// <summary><see cref="ListPageSize"/> as an informer takes it: null for one request.</summary>
    public int? InformerPageSize => ListPageSize > 0 ? ListPageSize : null;

    /// <summary>How often the QuayIntegration re-reads its token Secret and CA and re-checks the token with Quay.</summary>
    public TimeSpan IntegrationRecheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest any Kubernetes API request other than a watch may take, its body included (<c>Operator:ApiRequestTimeout</c>):
    /// a connection that stops answering then fails the call with a <see cref="Runtime.Kube.KubeApiTimeoutException"/> instead of
    /// holding its caller forever. Must cover the largest LIST the informers make (see <see cref="ListPageSize"/>).
    /// </summary>
    public TimeSpan ApiRequestTimeout { get; set; } = QuayIntegration.Runtime.Kube.KubeApi.DefaultRequestTimeout;

    /// <summary>
    /// The same Event about the same object is written at most once per this window; a repeat after it adds to the
    /// count of the Event already written (client-go's aggregation), instead of a new Event each time.
    /// </summary>
    public TimeSpan EventRepeatWindow { get; set; } = TimeSpan.FromMinutes(5);

    public ControllerOptions Controller { get; set; } = new();
    public LeaderElectionOptions LeaderElection { get; set; } = new();
    public QuayOptions Quay { get; set; } = new();
    public WebhookOptions Webhook { get; set; } = new();
    public MetricsOptions Metrics { get; set; } = new();
}

/// <summary>
/// How /metrics is served. Plain (the default, for the sandbox and local runs): on <see cref="OperatorOptions.MetricsPort"/>
/// over HTTP, to anyone who reaches it. Secure (<c>--metrics-secure=true</c>, what deploy/ runs): on <see cref="SecurePort"/>
/// over HTTPS, only to clients whose bearer token the API server authenticates (TokenReview) and authorizes for
/// <c>get</c> on the non-resource URL <c>/metrics</c> (SubjectAccessReview), as controller-runtime's secure metrics
/// serving does. /healthz and /readyz stay on the plain port either way, for the kubelet's probes.
/// </summary>
public sealed class MetricsOptions
{
    public bool Secure { get; set; }
    /// <summary>HTTPS port of the secure /metrics (0 = any free port).</summary>
    public int SecurePort { get; set; } = 8444;
    /// <summary>Holds tls.crt and tls.key for the secure listener (reloaded when they change); without them a self-signed certificate is made in memory.</summary>
    public string CertDir { get; set; } = "/var/run/secrets/quay-integration/metrics-certificates";
    /// <summary>How long an allowed token is remembered before it is reviewed again.</summary>
    public TimeSpan AllowedCacheDuration { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>How long a refused or unknown token is remembered (a scraper just granted access waits at most this long).</summary>
    public TimeSpan DeniedCacheDuration { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The HTTPS listener the admission webhook (/admissionwebhook) will be served on.</summary>
public sealed class WebhookOptions
{
    /// <summary>DISABLE_WEBHOOK=true turns the listener off.</summary>
    public bool Disabled { get; set; }
    public int Port { get; set; } = 8443;
    /// <summary>Holds apiserver.crt and apiserver.key (WEBHOOK_CERT_DIR); reloaded when they change.</summary>
    public string CertDir { get; set; } = "/apiserver.local.config/certificates";

    /// <summary>
    /// <c>files</c>: the certificate comes from outside (the hack/ script's Secret, service-ca, cert-manager).
    /// <c>self-managed</c>: the operator keeps its own CA and serving certificate in <see cref="SecretName"/>, writes
    /// them to <see cref="CertDir"/> (which must be writable, e.g. an emptyDir) and the CA into the caBundle of
    /// <see cref="ConfigurationName"/>.
    /// </summary>
    public string CertMode { get; set; } = CertModes.Files;

    /// <summary>The Service the API server calls (its DNS names go into the serving certificate).</summary>
    public string ServiceName { get; set; } = "quay-integration";
    /// <summary>Namespace of the Service and the Secret; empty = the operator's namespace.</summary>
    public string? ServiceNamespace { get; set; }
    public string SecretName { get; set; } = "quay-integration-webhook";
    public string ConfigurationName { get; set; } = "quay-integration";
    public TimeSpan CaValidity { get; set; } = TimeSpan.FromDays(3650);
    public TimeSpan CertificateValidity { get; set; } = TimeSpan.FromDays(365);
    /// <summary>Certificates are renewed when less than this is left.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(30);
    /// <summary>How often the Secret, files and caBundle are checked (and repaired).</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}

public static class CertModes
{
    public const string Files = "files";
    public const string SelfManaged = "self-managed";
}
