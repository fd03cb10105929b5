using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using QuayIntegration.Operator.Hosting;

namespace QuayIntegration.Operator.Webhook;

/// <summary>A PEM certificate and its private key.</summary>
public sealed record PemPair(string CertificatePem, string KeyPem)
{
    public X509Certificate2 Load() => X509Certificate2.CreateFromPem(CertificatePem, KeyPem);

    public DateTimeOffset NotAfter
    {
        get
        {
            using var certificate = X509Certificate2.CreateFromPem(CertificatePem);
            return certificate.NotAfter.ToUniversalTime();
        }
    }
}

/// <summary>Creates a self-signed CA and the serving certificates it signs (ECDSA P-256), for the self-managed webhook mode.</summary>
public static class CertificateAuthority
{
    public static PemPair CreateCa(string commonName, DateTimeOffset notBefore, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var certificate = request.CreateSelfSigned(notBefore, notBefore + validity);
        return new PemPair(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>A server certificate for <paramref name="dnsNames"/> (the first is also the subject), signed by <paramref name="ca"/>.</summary>
    public static PemPair IssueServing(PemPair ca, IReadOnlyList<string> dnsNames, DateTimeOffset notBefore, TimeSpan validity)
    {
        using var issuer = ca.Load();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames) names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServingCertificate.ServerAuthentication)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var notAfter = notBefore + validity;
        if (notAfter > issuer.NotAfter) notAfter = issuer.NotAfter; // a leaf cannot outlive its issuer
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(issuer, notBefore, notAfter, serial);
        return new PemPair(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The DNS names the API server uses for a webhook Service.</summary>
    public static string[] ServiceDnsNames(string service, string ns) => [$"{service}.{ns}.svc", $"{service}.{ns}.svc.cluster.local"];
}
