using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Resources;
using QuayIntegration.Emulators.Kubernetes.Storage;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>
/// An in-memory Kubernetes + OpenShift API server on 127.0.0.1 over HTTPS with its own CA, reachable by KubernetesClient
/// and kubectl through the kubeconfig it writes.
/// </summary>
public sealed class KubernetesApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly CertificateAuthority _ca;
    private readonly ApiServerCore _core;

    private KubernetesApiServer(WebApplication app, CancellationTokenSource stopping, CertificateAuthority ca, ApiServerCore core, string baseUrl, string token)
    {
        (_app, _stopping, _ca, _core, BaseUrl, AdminToken) = (app, stopping, ca, core, baseUrl, token);
    }

    /// <summary><c>https://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string BaseUrl { get; }
    public string AdminToken { get; }
    public string CaCertificatePem => _ca.CertificatePem;
    /// <summary>
    /// The cluster CA's certificate and key, as kube-controller-manager's <c>--cluster-signing-cert-file</c> and
    /// <c>--cluster-signing-key-file</c> (by default the same CA that clients trust for the API server), for the signer
    /// controller of CertificateSigningRequests.
    /// </summary>
    public (string CertificatePem, string KeyPem) ClusterSigningKeyPair => (_ca.CertificatePem, _ca.KeyPem);
    public FaultInjector Faults => _core.Faults;
    public RequestAccounting Requests => _core.Requests;
    public ApiServerOptions Options => _core.Options;
    /// <summary>The current global resourceVersion.</summary>
    public long CurrentResourceVersion => _core.Store.CurrentRevision;

    public static async Task<KubernetesApiServer> StartAsync(ApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ApiServerOptions();
        var token = options.AdminToken ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var ca = CertificateAuthority.Create("kubernetes-emulator-ca");
        var serverCertificate = ca.IssueServerCertificate(["localhost", "kubernetes", "kubernetes.default.svc"], [IPAddress.Loopback]);
        var stopping = new CancellationTokenSource();
        var core = new ApiServerCore(options, token, stopping.Token);
        BuiltInTypes.Register(core);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedHostLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 3 * 1024 * 1024;
            k.Listen(IPAddress.Loopback, options.Port, l => l.UseHttps(serverCertificate));
        });
        var app = builder.Build();
        var router = new RequestRouter(core);
        app.Run(router.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "127.0.0.1")).Port;
        var server = new KubernetesApiServer(app, stopping, ca, core, $"https://127.0.0.1:{port}", token);
        await BuiltInTypes.BootstrapAsync(core);
        return server;
    }

    /// <summary>Writes a kubeconfig with the bearer token and the CA inline, accepted by kubectl and KubernetesClient.</summary>
    public void WriteKubeconfig(string path, string? defaultNamespace = "default") => WriteKubeconfig(path, AdminToken, "admin", defaultNamespace);

    /// <summary>Authenticates <paramref name="token"/> as <paramref name="username"/> from now on (see <see cref="ApiServerOptions.Users"/>).</summary>
    public void AddUser(string token, string username, params string[] groups)
    {
        // Every authenticated request carries system:authenticated, as kube-apiserver adds it.
        var all = groups.Contains("system:authenticated") ? groups : [.. groups, "system:authenticated"];
        _core.Users[token] = new ApiUser(username, all);
    }

    /// <summary>A kubeconfig like <see cref="WriteKubeconfig(string, string?)"/> but authenticating with <paramref name="token"/>.</summary>
    public void WriteKubeconfigForToken(string path, string token, string? defaultNamespace = "default") => WriteKubeconfig(path, token, "user", defaultNamespace);

    private void WriteKubeconfig(string path, string token, string userName, string? defaultNamespace)
    {
        var caData = Convert.ToBase64String(Encoding.UTF8.GetBytes(CaCertificatePem));
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: emulated
              cluster:
                server: {BaseUrl}
                certificate-authority-data: {caData}
            users:
            - name: {userName}
              user:
                token: {token}
            contexts:
            - name: emulated
              context:
                cluster: emulated
                user: {userName}
                namespace: {defaultNamespace ?? "default"}
            current-context: emulated

            """;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        File.WriteAllText(path, text);
    }

    /// <summary>Where a webhook service reference (<c>name.namespace.svc:port</c>) really listens, e.g. <c>127.0.0.1:5443</c>.</summary>
    public void MapService(string name, string ns, int port, string hostAndPort) => _core.ServiceEndpoints[$"{name}.{ns}.svc:{port}"] = hostAndPort;

    /// <summary>Reads an object straight from storage (no HTTP), for assertions.</summary>
    public JsonObject? Peek(string group, string plural, string? ns, string name) => _core.Store.Get($"{group}/{plural}", ns, name);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _core.Store.DropWatches();
        await _app.StopAsync(TimeSpan.FromSeconds(5));
        await _app.DisposeAsync();
        _core.RegistryClient.Dispose();
        _core.ServiceAccountTokens.Dispose();
        _ca.Dispose();
        _stopping.Dispose();
    }
}
