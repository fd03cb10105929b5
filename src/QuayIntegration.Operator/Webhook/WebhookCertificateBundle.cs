using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// The self-managed webhook certificates as stored in their Secret: the CA (with key, to issue renewals), the serving
/// pair, and the caBundle to publish (the current CA, plus the previous one while a new CA is rolling out).
/// </summary>
public sealed record WebhookCertificateBundle(PemPair Ca, PemPair Serving, string CaBundlePem)
{
    public const string CaCertificateKey = "ca.crt";
    public const string CaKeyKey = "ca.key";
    public const string CertificateKey = "tls.crt";
    public const string KeyKey = "tls.key";
    public const string CaBundleKey = "ca-bundle.crt";

    public static WebhookCertificateBundle? FromSecret(V1Secret? secret)
    {
        if (secret?.Data is not { } data) return null;
        string? Text(string key) => data.TryGetValue(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
        if (Text(CaCertificateKey) is not { } caCrt || Text(CaKeyKey) is not { } caKey || Text(CertificateKey) is not { } crt || Text(KeyKey) is not { } key)
            return null;
        try
        {
            var bundle = new WebhookCertificateBundle(new PemPair(caCrt, caKey), new PemPair(crt, key), Text(CaBundleKey) ?? caCrt);
            using var ca = bundle.Ca.Load();
            using var serving = bundle.Serving.Load();
            return bundle;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return null; // unreadable content is replaced like a missing Secret
        }
    }

    public Dictionary<string, byte[]> ToData() => new()
    {
        [CaCertificateKey] = Encoding.UTF8.GetBytes(Ca.CertificatePem),
        [CaKeyKey] = Encoding.UTF8.GetBytes(Ca.KeyPem),
        [CertificateKey] = Encoding.UTF8.GetBytes(Serving.CertificatePem),
        [KeyKey] = Encoding.UTF8.GetBytes(Serving.KeyPem),
        [CaBundleKey] = Encoding.UTF8.GetBytes(CaBundlePem),
    };

    /// <summary>Whether the serving certificate is signed by the CA, names every DNS name, and is far enough from expiry.</summary>
    public bool ServingIsGood(IReadOnlyList<string> dnsNames, DateTimeOffset now, TimeSpan renewBefore)
    {
        using var ca = X509Certificate2.CreateFromPem(Ca.CertificatePem);
        using var serving = X509Certificate2.CreateFromPem(Serving.CertificatePem);
        if (serving.NotAfter.ToUniversalTime() - now < renewBefore || serving.NotBefore.ToUniversalTime() > now) return false;
        if (!dnsNames.All(n => serving.MatchesHostname(n))) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        return chain.Build(serving);
    }

    public bool CaIsGood(DateTimeOffset now, TimeSpan renewBefore, TimeSpan servingValidity)
    {
        using var ca = X509Certificate2.CreateFromPem(Ca.CertificatePem);
        // The CA must outlive a freshly issued serving certificate's renewal point.
        return ca.NotAfter.ToUniversalTime() - now >= renewBefore + TimeSpan.FromTicks(Math.Min(servingValidity.Ticks, renewBefore.Ticks));
    }

    /// <summary>The earliest time something needs renewing.</summary>
    public DateTimeOffset RenewAt(TimeSpan renewBefore)
    {
        using var serving = X509Certificate2.CreateFromPem(Serving.CertificatePem);
        return serving.NotAfter.ToUniversalTime() - renewBefore;
    }
}
