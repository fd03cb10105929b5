using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Testing.Core;

/// <summary>
/// A throwaway CA made in memory for test servers and clients (the emulated API server and Quay, webhooks and
/// registries under test): it issues server certificates for DNS names and IP addresses and client certificates for
/// a user and groups, exports its certificate and its key as PEM (the key for the emulated cluster's CSR signer), and
/// validates a peer against exactly itself, never the system roots. ECDSA P-256 keys: generating an RSA key costs
/// around a second on a busy machine, which every server start would pay. Not the operator's own CA
/// (src/QuayIntegration.Operator/Webhook/CertificateAuthority.cs), which is product code the suites exercise as it is.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private readonly ECDsa _key;

    private CertificateAuthority(X509Certificate2 certificate, ECDsa key) => (Certificate, _key) = (certificate, key);

    /// <summary>The CA certificate, public part only (the key is <see cref="KeyPem"/>).</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>The CA's private key (PKCS#8 PEM), for a signer that issues certificates with this CA.</summary>
    public string KeyPem => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>A new CA named <c>CN=<paramref name="commonName"/></c>, valid from five minutes ago for <paramref name="validity"/> (a year by default).</summary>
    public static CertificateAuthority Create(string commonName, TimeSpan? validity = null) =>
        NewAuthority(commonName, pathLengthZero: false, (request, now) => request.CreateSelfSigned(now - ClockSkew, now + (validity ?? TimeSpan.FromDays(365))));

    /// <summary>
    /// An intermediate CA named <c>CN=<paramref name="commonName"/></c>, signed by this one and valid as long as it (or
    /// for <paramref name="validity"/>), that
    /// may issue leaf certificates only (path length 0): the shape of most corporate PKIs, where a server's
    /// certificate chains to a root the client trusts through an intermediate the server sends, or should.
    /// </summary>
    public CertificateAuthority CreateIntermediate(string commonName, TimeSpan? validity = null) =>
        NewAuthority(commonName, pathLengthZero: true, (request, now) =>
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
            return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now - ClockSkew,
                validity is { } v ? now + v : Certificate.NotAfter, SerialNumber());
        });

    /// <summary>A CA certificate request with a new P-256 key, made into a certificate by <paramref name="sign"/>.</summary>
    private static CertificateAuthority NewAuthority(string commonName, bool pathLengthZero, Func<CertificateRequest, DateTimeOffset, X509Certificate2> sign)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLengthZero, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var signed = sign(request, DateTimeOffset.UtcNow);
            return new CertificateAuthority(X509CertificateLoader.LoadCertificate(signed.RawData), key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A server certificate (with its private key, usable by Kestrel and SslStream) for the given DNS names and IP
    /// addresses, valid as long as this CA. Its subject is the first DNS name, or the first address if there is none.
    /// With <paramref name="issuerUrl"/>, it names where its issuer's certificate can be fetched (Authority Information
    /// Access, caIssuers), as certificates from public CAs do. With <paramref name="notAfter"/>, it expires then instead,
    /// even after this CA (X.509 allows it; clients refuse the chain once the CA has expired).
    /// </summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, Uri? issuerUrl = null, DateTimeOffset? notAfter = null)
    {
        var names = dnsNames.ToList();
        var ips = addresses.ToList();
        if (names.Count == 0 && ips.Count == 0) throw new ArgumentException("a server certificate needs a DNS name or an IP address", nameof(dnsNames));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names) san.AddDnsName(name);
        foreach (var ip in ips) san.AddIpAddress(ip);
        return Issue(new X500DistinguishedName("CN=" + (names.Count > 0 ? names[0] : ips[0].ToString())), ServerAuthentication, san.Build(), issuerUrl, notAfter);
    }

    /// <summary>
    /// A client certificate (with its private key) for TLS client authentication, as Kubernetes reads one: the user
    /// is <c>CN=<paramref name="user"/></c> and each of <paramref name="groups"/> an <c>O=</c>. Valid as long as this CA.
    /// </summary>
    public X509Certificate2 IssueClientCertificate(string user, params IEnumerable<string> groups)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        var subject = new X500DistinguishedNameBuilder();
        foreach (var group in groups) subject.AddOrganizationName(group);
        subject.AddCommonName(user);
        return Issue(subject.Build(), ClientAuthentication, subjectAlternativeName: null);
    }

    /// <summary>A leaf certificate signed by this CA for one purpose (an extended key usage), with a new P-256 key.</summary>
    private X509Certificate2 Issue(X500DistinguishedName subject, Oid purpose, X509Extension? subjectAlternativeName, Uri? issuerUrl = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (subjectAlternativeName is not null) request.CertificateExtensions.Add(subjectAlternativeName);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([purpose], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (issuerUrl is not null) request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(null, [issuerUrl.AbsoluteUri]));
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key),
            DateTimeOffset.UtcNow - ClockSkew, notAfter ?? Certificate.NotAfter, SerialNumber());
        using var withKey = issued.CopyWithPrivateKey(key);
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform; exportable for WritePemFiles.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        return serial;
    }

    /// <summary>
    /// Writes an issued certificate and its private key as PEM files, the layout a server under test reads
    /// (<c>tls.crt</c>/<c>tls.key</c> of a kubernetes.io/tls Secret, the operator's <c>apiserver.crt</c>/<c>apiserver.key</c>),
    /// the certificate file followed by <paramref name="following"/>, as cert-manager writes a chain into <c>tls.crt</c>.
    /// </summary>
    public static void WritePemFiles(X509Certificate2 certificate, string certificatePath, string keyPath, params X509Certificate2[] following)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("the certificate has no ECDSA private key", nameof(certificate));
        File.WriteAllText(certificatePath, string.Join("\n", following.Prepend(certificate).Select(c => c.ExportCertificatePem())) + "\n");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>A TLS validation callback that trusts exactly this CA (not the system roots) and checks the host name.</summary>
    public bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => Validate(Certificate, certificate, errors);

    /// <summary>
    /// Whether <paramref name="certificate"/>, presented by a TLS peer, chains to exactly <paramref name="ca"/> and the
    /// handshake found nothing else wrong (the name matches, a certificate was sent); for clients that hold only the
    /// CA's certificate (a caBundle, a kubeconfig's certificate-authority-data).
    /// </summary>
    public static bool Validate(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        // Chain errors are expected (the CA is in no system store); the chain is built again below against ca alone.
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (certificate is X509Certificate2 certificate2) return chain.Build(certificate2);
        using var copy = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(copy);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
