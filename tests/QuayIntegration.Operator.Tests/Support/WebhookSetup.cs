using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Webhook;
using TestCa = QuayIntegration.Testing.Core.CertificateAuthority;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// Serves the operator's webhook to the emulated API server the way a cluster does: a certificate for the Service
/// <c>quay-integration.quay-integration.svc</c> signed by a test CA, the Service mapped to the operator's HTTPS port,
/// and deploy/base/mutating_webhook_configuration.yaml installed with that CA as its caBundle.
/// </summary>
public sealed class WebhookSetup : IDisposable
{
    public const string ServiceName = "quay-integration";
    public const string ServiceNamespace = "quay-integration";
    public const string ConfigurationName = "quay-integration";

    public WebhookSetup()
    {
        CertDir = Directory.CreateTempSubdirectory("webhook-certs-").FullName;
        Ca = CertificateAuthority.CreateCa("webhook test CA", DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromDays(1));
        WriteServingCertificate(Ca, "apiserver.crt", "apiserver.key");
    }

    public string CertDir { get; }
    public PemPair Ca { get; private set; }

    public string[] OperatorArgs(params string[] extra) =>
    [
        "--Operator:Webhook:Disabled=false", "--Operator:Webhook:Port=0", "--Operator:Webhook:CertDir=" + CertDir, .. extra,
    ];

    /// <summary>Writes a serving certificate for the Service, signed by <paramref name="ca"/>, under the given file names.</summary>
    public PemPair WriteServingCertificate(PemPair ca, string certificateFile, string keyFile)
    {
        var serving = CertificateAuthority.IssueServing(ca, CertificateAuthority.ServiceDnsNames(ServiceName, ServiceNamespace),
            DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromHours(1));
        File.WriteAllText(Path.Combine(CertDir, keyFile), serving.KeyPem);
        File.WriteAllText(Path.Combine(CertDir, certificateFile), serving.CertificatePem);
        Stamp(certificateFile, keyFile);
        return serving;
    }

    /// <summary>
    /// Writes <paramref name="leaf"/> and its ECDSA key as <c>apiserver.crt</c>/<c>apiserver.key</c>, the certificate file
    /// followed by <paramref name="following"/> as cert-manager writes a chain into <c>tls.crt</c>.
    /// </summary>
    public void WriteServingFiles(X509Certificate2 leaf, params X509Certificate2[] following)
    {
        TestCa.WritePemFiles(leaf, Path.Combine(CertDir, "apiserver.crt"), Path.Combine(CertDir, "apiserver.key"), following);
        Stamp("apiserver.crt", "apiserver.key");
    }

    private void Stamp(string certificateFile, string keyFile)
    {
        // Distinct modification times, so the provider sees a change even within the file system's time resolution.
        var stamp = DateTime.UtcNow.AddSeconds(Random.Shared.Next(1, 1000));
        File.SetLastWriteTimeUtc(Path.Combine(CertDir, certificateFile), stamp);
        File.SetLastWriteTimeUtc(Path.Combine(CertDir, keyFile), stamp);
    }

    /// <summary>Routes the Service's port 443 to the operator's webhook listener.</summary>
    public static void MapService(OperatorEnvironment env, RunningOperator op, string name = ServiceName, string ns = ServiceNamespace) =>
        env.Cluster.ApiServer.MapService(name, ns, 443, new Uri(op.WebhookUrl ?? throw new InvalidOperationException("the webhook listener is not running")).Authority);

    /// <summary>
    /// Starts <c>operator-1</c> serving this webhook, routes the Service to it and installs the deploy/ configuration:
    /// from then on the cluster's Builds go through the operator's webhook.
    /// </summary>
    public async Task<RunningOperator> ServeAsync(OperatorEnvironment env, Action<V1MutatingWebhookConfiguration>? edit = null)
    {
        var op = await env.StartOperatorAsync("operator-1", OperatorArgs());
        MapService(env, op);
        await InstallConfigurationAsync(env, Ca.CertificatePem, edit);
        return op;
    }

    /// <summary>Installs the deploy/ configuration with <paramref name="caPem"/> (null: none, as in self-managed mode).</summary>
    public static async Task InstallConfigurationAsync(OperatorEnvironment env, string? caPem, Action<V1MutatingWebhookConfiguration>? edit = null)
    {
        var configuration = KubernetesYaml.Deserialize<V1MutatingWebhookConfiguration>(
            await File.ReadAllTextAsync(Path.Combine(OperatorEnvironment.RepoRoot(), "deploy", "base", "mutating_webhook_configuration.yaml")));
        if (caPem is not null)
            foreach (var webhook in configuration.Webhooks) webhook.ClientConfig.CaBundle = Encoding.UTF8.GetBytes(caPem);
        edit?.Invoke(configuration);
        await env.Kube.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(configuration);
    }

    /// <summary>An HTTP client that trusts only <paramref name="caPem"/> and checks the Service name, as the API server does.</summary>
    public static HttpClient ClientTrusting(string caPem, Action<X509Certificate2>? seen = null) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            TargetHost = $"{ServiceName}.{ServiceNamespace}.svc",
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                seen?.Invoke(leaf);
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(caPem));
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                // The connection goes to 127.0.0.1, so the name is checked here against the Service's, as the API server would.
                var ignored = SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch;
                return chain.Build(leaf) && leaf.MatchesHostname($"{ServiceName}.{ServiceNamespace}.svc") && (errors & ~ignored) == SslPolicyErrors.None;
            },
        },
    });

    public void Dispose()
    {
        try { Directory.Delete(CertDir, recursive: true); } catch (IOException) { }
    }
}
