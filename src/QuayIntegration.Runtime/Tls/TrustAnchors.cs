using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Runtime.Tls;

/// <summary>
/// Whether a TLS server's certificate chains to a configured CA bundle, judged as Go judges it (client-go for a
/// kubeconfig's certificate authority, crypto/tls for the Go operator's Quay CA): every certificate of the bundle is a
/// trust anchor, a root or an intermediate; the system's roots play no part; the certificates the server sent help
/// build the chain and are never trusted by themselves; the certificate must be good for server authentication.
/// Nothing is downloaded: a chain is built from what the server sent, the bundle, and the machine's intermediate
/// stores.
/// </summary>
public static class TrustAnchors
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    /// <summary>
    /// The policy of the chain TLS itself builds for a server's certificate, before any validation callback runs:
    /// nothing fetched, no revocation checked. .NET's default would fetch a missing issuer from the address the
    /// certificate names (Authority Information Access), synchronously, for up to about 15 seconds: an address the
    /// server chooses, unreachable from a cluster without egress, and a thread held on every new connection. Go's TLS
    /// (client-go, the Go operator) never fetches either: a server must send its intermediates, or the CA bundle hold
    /// them. SslStream copies the policy for each handshake, so one instance may be shared.
    /// </summary>
    public static X509ChainPolicy Offline() => new()
    {
        DisableCertificateDownloads = true,
        RevocationMode = X509RevocationMode.NoCheck,
    };

    /// <param name="presented">The chain TLS built for the callback: its extra store holds the certificates the server sent.</param>
    public static bool Chains(X509Certificate2 leaf, X509Certificate2Collection anchors, X509Chain? presented)
    {
        if (anchors.Count == 0) return false;
        using var chain = new X509Chain();
        if (presented is not null) chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // A missing issuer is not fetched from the address the certificate names: the server chooses that address, and
        // an operator without egress would stall on every new connection.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        try
        {
            return chain.Build(leaf) || EndsAtAnIntermediateAnchor(chain, anchors);
        }
        finally
        {
            foreach (var element in chain.ChainElements) element.Certificate.Dispose();
        }
    }

    /// <summary>
    /// .NET ends a trusted chain only at a self-signed certificate in the bundle; a bundle certificate that is not
    /// self-signed is no anchor to it, and the chain climbs past it (to a root the server sent, or to nothing). Go stops
    /// at the first certificate of its root pool. So the chain is accepted when one of its certificates is a bundle
    /// certificate valid now, and nothing is wrong with it (but its own missing issuer) or with any certificate below
    /// it: every signature on the way (a forgery shows as NotSignatureValid on the certificate it signs), validity
    /// period, CA constraint and usage held.
    /// </summary>
    private static bool EndsAtAnIntermediateAnchor(X509Chain chain, X509Certificate2Collection anchors)
    {
        var now = DateTime.Now;
        for (var i = 0; i < chain.ChainElements.Count; i++)
        {
            var element = chain.ChainElements[i];
            var problems = element.ChainElementStatus.Aggregate(X509ChainStatusFlags.NoError, (all, status) => all | status.Status);
            if (IsAnchor(element.Certificate, anchors))
            {
                // The anchor's own period, which OpenSSL does not check on the top certificate of a partial chain.
                var current = element.Certificate.NotBefore <= now && now <= element.Certificate.NotAfter;
                return current && (problems & ~X509ChainStatusFlags.PartialChain) == X509ChainStatusFlags.NoError;
            }
            if (problems != X509ChainStatusFlags.NoError) return false;
        }
        return false;
    }

    private static bool IsAnchor(X509Certificate2 certificate, X509Certificate2Collection anchors)
    {
        var raw = certificate.RawDataMemory.Span;
        foreach (var anchor in anchors)
            if (anchor.RawDataMemory.Span.SequenceEqual(raw)) return true;
        return false;
    }
}
