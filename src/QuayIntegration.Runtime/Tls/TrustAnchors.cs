using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Runtime.Tls;

/// <summary>
/// Whether a TLS peer's certificate chains to a configured CA bundle, judged as Go judges it (client-go for a
/// kubeconfig's certificate authority, crypto/tls for the Go operator's Quay CA): every certificate of the bundle is a
/// trust anchor, a root or an intermediate; the system's roots play no part; the intermediates the peer sent help
/// build the chain and are never trusted by themselves.
/// </summary>
public static class TrustAnchors
{
    /// <param name="presented">The chain TLS built for the callback: its extra store holds the certificates the peer sent.</param>
    public static bool Chains(X509Certificate2 leaf, X509Certificate2Collection anchors, X509Chain? presented)
    {
        using var chain = new X509Chain();
        if (presented is not null) chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(leaf)) return true;

        // .NET ends a trusted chain only at a self-signed certificate, so a bundle holding an intermediate (and not its
        // root) leaves the chain partial. Partial and nothing else wrong means every signature, validity period and CA
        // constraint up to the chain's last certificate held (a forged signature shows as NotSignatureValid on top of
        // PartialChain); if that certificate is one of the bundle's, the chain ends at an anchor as Go sees it.
        var problems = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, status) => all | status.Status);
        if (problems != X509ChainStatusFlags.PartialChain || chain.ChainElements.Count == 0) return false;
        var last = chain.ChainElements[^1].Certificate.RawDataMemory.Span;
        foreach (var anchor in anchors)
            if (anchor.RawDataMemory.Span.SequenceEqual(last)) return true;
        return false;
    }
}
