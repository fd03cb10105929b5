using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Observability;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Serves the webhook's certificate from <c>apiserver.crt</c>/<c>apiserver.key</c> (or, when those are absent,
/// <c>tls.crt</c>/<c>tls.key</c>, the keys of an OpenShift service-ca or cert-manager Secret) and reloads it when either
/// file changes, so a rotated certificate is used without a restart.
/// </summary>
public sealed class WebhookCertificateProvider(IOptions<OperatorOptions> options)
{
    private readonly Lock _gate = new();
    private (DateTime Crt, DateTime Key, X509Certificate2 Certificate)? _loaded;

    public const string CertificateFile = "apiserver.crt";
    public const string KeyFile = "apiserver.key";
    public const string ServiceCaCertificateFile = "tls.crt";
    public const string ServiceCaKeyFile = "tls.key";

    public string CertificatePath => PathOf(CertificateFile, ServiceCaCertificateFile);
    public string KeyPath => PathOf(KeyFile, ServiceCaKeyFile);

    private string PathOf(string file, string serviceCaFile)
    {
        var dir = options.Value.Webhook.CertDir;
        var preferred = Path.Combine(dir, file);
        var fallback = Path.Combine(dir, serviceCaFile);
        return !File.Exists(preferred) && File.Exists(fallback) ? fallback : preferred;
    }

    public bool Available => File.Exists(CertificatePath) && File.Exists(KeyPath);

    public X509Certificate2? Current
    {
        get
        {
            if (!Available) return _loaded?.Certificate;
            var crt = File.GetLastWriteTimeUtc(CertificatePath);
            var key = File.GetLastWriteTimeUtc(KeyPath);
            lock (_gate)
            {
                if (_loaded is { } l && l.Crt == crt && l.Key == key) return l.Certificate;
                try
                {
                    using var pem = X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
                    // Export/import so SslStream gets a certificate with a usable private key on every platform.
                    var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                    _loaded = (crt, key, certificate);
                    OperatorMetrics.WebhookCertificateExpiry.Set(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds());
                }
                catch (Exception) when (_loaded is not null)
                {
                    // A half-written pair during rotation: keep serving the previous certificate.
                }
                return _loaded?.Certificate;
            }
        }
    }
}
