using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Sandbox.World;

/// <summary>
/// What <c>hack/webhook-create-signed-cert.sh</c> produces on a real cluster, made locally: a serving certificate for the
/// webhook Service's DNS name (<c>&lt;service&gt;.&lt;namespace&gt;.svc</c>) signed by a CA whose PEM goes into the
/// MutatingWebhookConfiguration's <c>caBundle</c>, written as <c>apiserver.crt</c>/<c>apiserver.key</c> into the directory
/// the operator reads (<c>WEBHOOK_CERT_DIR</c>).
/// </summary>
public sealed class WebhookCertificates
{
    private WebhookCertificates(string directory, string caPem)
    {
        Directory = directory;
        CaCertificatePem = caPem;
    }

    public string Directory { get; }
    public string CaCertificatePem { get; }

    public static WebhookCertificates Create(string directory, string service, string ns)
    {
        System.IO.Directory.CreateDirectory(directory);
        var now = DateTimeOffset.UtcNow;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=quay-integration-sandbox-webhook-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest($"CN={service}.{ns}.svc", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName($"{service}.{ns}.svc");
        names.AddDnsName($"{service}.{ns}.svc.cluster.local");
        names.AddIpAddress(System.Net.IPAddress.Loopback); // lets the sandbox probe the listener directly
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var server = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(7), serial);

        File.WriteAllText(Path.Combine(directory, "apiserver.crt"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "apiserver.key"), serverKey.ExportPkcs8PrivateKeyPem());
        var caPem = ca.ExportCertificatePem();
        File.WriteAllText(Path.Combine(directory, "ca.crt"), caPem);
        return new WebhookCertificates(directory, caPem);
    }
}
