namespace QuayIntegration.Emulators.Kubernetes.Hosting;

public sealed class ApiServerOptions
{
    /// <summary>0 picks a free port on 127.0.0.1.</summary>
    public int Port { get; set; }
    /// <summary>The admin bearer token; generated when null.</summary>
    public string? AdminToken { get; set; }
    /// <summary>How many events watches can resume from before a resourceVersion counts as expired (410).</summary>
    public int WatchHistorySize { get; set; } = 10_000;
    /// <summary>Interval of BOOKMARK events for watches that allow them (real servers: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Host of the integrated registry used for ImageStream status.dockerImageRepository; null = no integrated registry.</summary>
    public string? InternalRegistryHostname { get; set; } = "image-registry.openshift-image-registry.svc:5000";
    /// <summary>Serve the OpenShift groups (build, image, project). On by default.</summary>
    public bool ServeOpenShiftApis { get; set; } = true;
    /// <summary>
    /// Extra CA certificates (PEM) trusted when ImageStreamImport talks to registries, besides the system roots.
    /// Read at each TLS handshake, so certificates added after start apply too.
    /// </summary>
    public List<string> RegistryCaCertificatesPem { get; } = [];
    /// <summary>
    /// Where webhook <c>clientConfig.service</c> references really listen: key <c>name.namespace.svc:port</c>,
    /// value <c>127.0.0.1:port</c>. Can also be changed at runtime with <see cref="KubernetesApiServer.MapService"/>.
    /// </summary>
    public Dictionary<string, string> ServiceEndpoints { get; } = new();
    /// <summary>
    /// Bearer tokens besides the admin token, each authenticated as its user (e.g. a service account), so admission
    /// reviews carry that <c>userInfo</c> and <see cref="KubernetesApiServer.Requests"/> can be read per user. Like every
    /// user outside <c>system:masters</c>, they may do only what RBAC bindings grant them. Also
    /// <see cref="KubernetesApiServer.AddUser"/> at runtime; service accounts can instead get a token from the TokenRequest
    /// API (<c>serviceaccounts/token</c>, <c>kubectl create token</c>).
    /// </summary>
    public Dictionary<string, ApiUser> Users { get; } = new();
    /// <summary>What <c>/version</c> reports.</summary>
    public string KubernetesVersion { get; set; } = "v1.32.0";
}

/// <summary>
/// An authenticated user (k8s.io/apiserver/pkg/authentication/user.Info): what admission's <c>userInfo</c>, RBAC,
/// SelfSubjectReview and per-user request accounting see. <see cref="Uid"/> and <see cref="Extra"/> are set for
/// service-account tokens (the service account's uid, the token's credential id).
/// </summary>
public sealed record ApiUser(string Username, IReadOnlyList<string> Groups)
{
    public string Uid { get; init; } = "";
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The user of <see cref="ApiServerOptions.AdminToken"/>.</summary>
    public static ApiUser Admin { get; } = new("system:admin", ["system:masters", "system:authenticated"]);

    /// <summary>A service account's user as the token authenticator reports it.</summary>
    public static ApiUser ServiceAccount(string ns, string name) =>
        new($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"]);
}
