using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// The certificate of the secure /metrics listener: <c>tls.crt</c>/<c>tls.key</c> from
/// <see cref="MetricsOptions.CertDir"/> when both are there (an OpenShift service-ca or cert-manager Secret; reloaded
/// when either file changes, <see cref="CertificatePairFiles"/>), else a self-signed certificate made in memory at first use and remade a day before it
/// expires, as controller-runtime does without a certificate directory (scrapers then skip verification, which the
/// bearer token's review makes safe to do: the token, not the certificate, is what grants access).
/// </summary>
public sealed class MetricsCertificateProvider(IOptions<OperatorOptions> options, TimeProvider time, ILogger<MetricsCertificateProvider> log)
{
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";
    private static readonly TimeSpan SelfSignedValidity = TimeSpan.FromDays(365);

    private readonly Lock _gate = new();
    private readonly CertificatePairFiles _files = new(
        Path.Combine(options.Value.Metrics.CertDir, CertificateFile), Path.Combine(options.Value.Metrics.CertDir, KeyFile), log);
    private ServingCertificate? _selfSigned;

    /// <summary>True when the certificate comes from files rather than being self-signed.</summary>
    public bool FromFiles => _files.Exist;

    /// <summary>The certificate served.</summary>
    public X509Certificate2 Current => Serving.Certificate;

    /// <exception cref="InvalidOperationException">The certificate files are there but cannot be loaded.</exception>
    public ServingCertificate Serving
    {
        get
        {
            lock (_gate)
            {
                if (FromFiles)
                {
                    try
                    {
                        return _files.Load();
                    }
                    catch (Exception e) when (e is CryptographicException or IOException)
                    {
                        throw new InvalidOperationException(
                            $"The metrics certificate {_files.CertificatePath} with key {_files.KeyPath} cannot be loaded: {e.Message}", e);
                    }
                }
                if (_selfSigned is null || _selfSigned.Certificate.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime < TimeSpan.FromDays(1))
                    _selfSigned = ServingCertificate.Of(SelfSigned());
                return _selfSigned;
            }
        }
    }

    private X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=quay-integration-metrics", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServingCertificate.ServerAuthentication)], false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + SelfSignedValidity);
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
