using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Benchmarks.Operator;

/// <summary>
/// A throw-away CA and a serving certificate for 127.0.0.1, written as <c>apiserver.crt</c>/<c>apiserver.key</c> (the
/// operator's WEBHOOK_CERT_DIR layout); the load generator trusts exactly this CA.
/// </summary>
public sealed class WebhookCertificates
{
    private WebhookCertificates(string directory, X509Certificate2 ca)
    {
        Directory = directory;
        Ca = ca;
    }

    public string Directory { get; }
    public X509Certificate2 Ca { get; }

    public static WebhookCertificates Create(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=quay-bench-webhook-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(Path.Combine(directory, "apiserver.crt"), leaf.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "apiserver.key"), key.ExportPkcs8PrivateKeyPem());
        return new WebhookCertificates(directory, X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert)));
    }

    /// <summary>A handler that trusts exactly <see cref="Ca"/> and keeps connections alive.</summary>
    public SocketsHttpHandler CreateHandler(int maxConnections) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                if ((errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(Ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            },
        },
    };
}
