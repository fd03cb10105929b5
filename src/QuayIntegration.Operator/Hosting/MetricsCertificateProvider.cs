using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// The certificate of the secure /metrics listener: <c>tls.crt</c>/<c>tls.key</c> from
/// <see cref="MetricsOptions.CertDir"/> when both are there (an OpenShift service-ca or cert-manager Secret; reloaded
/// when either file changes), else a self-signed certificate made in memory at first use and remade a day before it
/// expires, as controller-runtime does without a certificate directory (scrapers then skip verification, which the
/// bearer token's review makes safe to do: the token, not the certificate, is what grants access).
/// </summary>
public sealed class MetricsCertificateProvider(IOptions<OperatorOptions> options, TimeProvider time)
{
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";
    private static readonly TimeSpan SelfSignedValidity = TimeSpan.FromDays(365);

    private readonly Lock _gate = new();
    private (DateTime Crt, DateTime Key, X509Certificate2 Certificate)? _fromFiles;
    private X509Certificate2? _selfSigned;

    private string CertificatePath => Path.Combine(options.Value.Metrics.CertDir, CertificateFile);
    private string KeyPath => Path.Combine(options.Value.Metrics.CertDir, KeyFile);

    /// <summary>True when the certificate comes from files rather than being self-signed.</summary>
    public bool FromFiles => File.Exists(CertificatePath) && File.Exists(KeyPath);

    public X509Certificate2 Current
    {
        get
        {
            lock (_gate)
            {
                if (FromFiles)
                {
                    var crt = File.GetLastWriteTimeUtc(CertificatePath);
                    var key = File.GetLastWriteTimeUtc(KeyPath);
                    if (_fromFiles is { } l && l.Crt == crt && l.Key == key) return l.Certificate;
                    try
                    {
                        using var pem = X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);
                        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                        _fromFiles = (crt, key, certificate);
                        return certificate;
                    }
                    catch (Exception) when (_fromFiles is not null)
                    {
                        return _fromFiles.Value.Certificate; // a half-written pair during rotation
                    }
                    catch (CryptographicException e)
                    {
                        throw new InvalidOperationException(
                            $"The metrics certificate {CertificatePath} with key {KeyPath} cannot be loaded: {e.Message}", e);
                    }
                }
                if (_selfSigned is null || _selfSigned.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime < TimeSpan.FromDays(1))
                    _selfSigned = SelfSigned();
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
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + SelfSignedValidity);
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
