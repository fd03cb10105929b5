using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Serves the webhook's certificate from <c>apiserver.crt</c>/<c>apiserver.key</c> (or, when those are absent,
/// <c>tls.crt</c>/<c>tls.key</c>, the keys of an OpenShift service-ca or cert-manager Secret) and reloads it when either
/// file changes (<see cref="CertificatePairFiles"/>), so a rotated certificate is used without a restart.
/// </summary>
public sealed class WebhookCertificateProvider(IOptions<OperatorOptions> options, ILogger<WebhookCertificateProvider> log)
{
    private readonly Lock _gate = new();
    private CertificatePairFiles? _files;

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

    public bool Available => Files().Exist;

    /// <summary>What to serve, or null while there is none yet (handshakes then fail; the API server retries).</summary>
    public ServingCertificate? Serving
    {
        get
        {
            var files = Files();
            if (!files.Exist) return files.Loaded;
            try
            {
                return files.Load();
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
            {
                return null; // not loadable yet (a first pair still being written)
            }
        }
    }

    /// <summary>The pair at the paths in use: the pair of names can change (apiserver.* appearing beside tls.*).</summary>
    private CertificatePairFiles Files()
    {
        var (crt, key) = (CertificatePath, KeyPath);
        lock (_gate)
        {
            if (_files is null || _files.CertificatePath != crt || _files.KeyPath != key) _files = new CertificatePairFiles(crt, key, log);
            return _files;
        }
    }
}
