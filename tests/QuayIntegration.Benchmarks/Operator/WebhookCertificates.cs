using System.Net;
using System.Security.Cryptography.X509Certificates;
using QuayIntegration.Testing.Core;

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
        using var ca = CertificateAuthority.Create("quay-bench-webhook-ca", TimeSpan.FromDays(1));
        using var leaf = ca.IssueServerCertificate(["localhost"], [IPAddress.Loopback]);
        CertificateAuthority.WritePemFiles(leaf, Path.Combine(directory, "apiserver.crt"), Path.Combine(directory, "apiserver.key"));
        return new WebhookCertificates(directory, X509CertificateLoader.LoadCertificate(ca.Certificate.RawData));
    }

    /// <summary>A handler that trusts exactly <see cref="Ca"/> and keeps connections alive.</summary>
    public SocketsHttpHandler CreateHandler(int maxConnections) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => CertificateAuthority.Validate(Ca, certificate, errors) },
    };
}
