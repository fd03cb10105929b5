using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// A certificate as one of the operator's TLS listeners presents it: the leaf with its key, and what SslStream sends
/// for it, the leaf and the intermediates that came with it in its file, put together once, offline.
/// <para>
/// Handed to SslStream as a bare certificate (Kestrel's <c>ServerCertificateSelector</c>), the chain was built again
/// on every handshake from the machine's stores under .NET's default policy, which downloads a missing issuer from the
/// address the certificate names (Authority Information Access) and waits for it, about 15 s, on the handshake:
/// an address unreachable from a cluster without egress. And the intermediates in the file (cert-manager writes the
/// chain into <c>tls.crt</c>) were never sent, so a client that trusts only the root could not verify the webhook.
/// </para>
/// </summary>
public sealed class ServingCertificate
{
    /// <summary>The extended key usage of a TLS server's certificate (id-kp-serverAuth): what the operator's certificates carry and what it serves.</summary>
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    private ServingCertificate(X509Certificate2 certificate, SslStreamCertificateContext context, IReadOnlyList<X509Certificate2> unchained) =>
        (Certificate, Context, Unchained) = (certificate, context, unchained);

    /// <summary>The leaf, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The leaf and its chain as the handshake sends them.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>
    /// When what the handshake sends stops verifying: the earliest expiry of the leaf and the intermediates sent with it.
    /// An intermediate may expire before the leaf it issued (a CA renewed late, a leaf issued for longer than its issuer
    /// has left), and clients refuse the chain from then on.
    /// </summary>
    public DateTimeOffset Expires =>
        Context.IntermediateCertificates.Select(c => new DateTimeOffset(c.NotAfter.ToUniversalTime()))
            .Append(new DateTimeOffset(Certificate.NotAfter.ToUniversalTime())).Min();

    /// <summary>
    /// Certificates that came with the leaf but are not in its chain, so never sent (.NET drops them without a word): a
    /// wrong intermediate left in the file after a CA rotation. A self-signed root is not counted: it is left out of
    /// what a server sends by design.
    /// </summary>
    public IReadOnlyList<X509Certificate2> Unchained { get; }

    /// <summary>
    /// Builds the chain from <paramref name="intermediates"/> (and the machine's stores): nothing is downloaded, no
    /// revocation status fetched or stapled.
    /// </summary>
    public static ServingCertificate Of(X509Certificate2 certificate, X509Certificate2Collection? intermediates = null)
    {
        var context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        var unchained = (intermediates ?? []).Where(c => !IsSelfSigned(c) && !context.IntermediateCertificates.Any(sent => SameCertificate(sent, c))).ToList();
        return new(certificate, context, unchained);
    }

    private static bool SameCertificate(X509Certificate2 a, X509Certificate2 b) => a.RawDataMemory.Span.SequenceEqual(b.RawDataMemory.Span);

    private static bool IsSelfSigned(X509Certificate2 certificate) => certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    /// <summary>
    /// The leaf (the file's first certificate, with the key) and the rest of the file as its intermediates, both read
    /// from the same text so a file replaced between two reads cannot mix two versions.
    /// </summary>
    /// <exception cref="CryptographicException">Not a certificate and its key, or not one for a TLS server.</exception>
    public static ServingCertificate FromPem(string certificatePem, string keyPem)
    {
        try
        {
            return Load(certificatePem, keyPem);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            // A key that does not match, or of a kind TLS cannot use: one exception for every "cannot be served".
            throw new CryptographicException(e.Message, e);
        }
    }

    private static ServingCertificate Load(string certificatePem, string keyPem)
    {
        using var pem = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        // As Kestrel checks its own certificates: an extended key usage without server authentication is refused here,
        // so the pair before it stays in use, rather than by every client at the handshake.
        if (pem.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usage
            && !usage.EnhancedKeyUsages.Cast<Oid>().Any(oid => oid.Value == ServerAuthentication))
            throw new CryptographicException($"the certificate {pem.Subject} is not for server authentication (its extended key usage lacks {ServerAuthentication})");
        // Export/import so SslStream gets a certificate with a usable private key on every platform.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var all = new X509Certificate2Collection();
        all.ImportFromPem(certificatePem);
        var intermediates = new X509Certificate2Collection();
        foreach (var other in all)
            if (!SameCertificate(other, certificate)) intermediates.Add(other);
        return Of(certificate, intermediates);
    }
}

public static class ServingTls
{
    /// <summary>
    /// HTTPS (TLS 1.2 or later) with whatever <paramref name="current"/> serves at each handshake, so a rotated
    /// certificate is used without a restart; while there is none, handshakes fail (logged by Kestrel at Debug) and
    /// clients retry. ALPN is left to Kestrel, as with its own options.
    /// </summary>
    public static ListenOptions UseHttps(this ListenOptions listen, Func<ServingCertificate?> current, string what) =>
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = Serving(current, what).Context,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }),
        });

    /// <summary>
    /// What to serve, or an <see cref="AuthenticationException"/>, the one failure Kestrel treats as a failed handshake
    /// (logged at Debug) rather than as a broken connection (an Error per attempt).
    /// </summary>
    private static ServingCertificate Serving(Func<ServingCertificate?> current, string what)
    {
        ServingCertificate? serving;
        try
        {
            serving = current();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new AuthenticationException($"the {what} certificate cannot be served: {e.Message}", e);
        }
        return serving ?? throw new AuthenticationException($"no {what} certificate to serve yet");
    }
}
