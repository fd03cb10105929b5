using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using QuayIntegration.Runtime.Tls;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>
/// A CA bundle's certificates are trust anchors as in Go, the peer's intermediates only help build the chain. The
/// chain TLS hands the validation callback is stood in for by one whose extra store holds what the peer sent.
/// </summary>
public sealed class TrustAnchorsTests : IDisposable
{
    private readonly CertificateAuthority _root = CertificateAuthority.Create("Corporate Root CA");
    private readonly CertificateAuthority _intermediate;
    private readonly X509Certificate2 _leaf;

    public TrustAnchorsTests()
    {
        _intermediate = _root.CreateIntermediate("Corporate Issuing CA");
        _leaf = _intermediate.IssueServerCertificate(["quay.example.com"], [IPAddress.Loopback]);
    }

    public void Dispose()
    {
        _leaf.Dispose();
        _intermediate.Dispose();
        _root.Dispose();
    }

    private static X509Certificate2Collection Bundle(params CertificateAuthority[] authorities) =>
        [.. authorities.Select(a => X509CertificateLoader.LoadCertificate(a.Certificate.RawData))];

    private static X509Chain Sent(params CertificateAuthority[] authorities)
    {
        var chain = new X509Chain();
        foreach (var authority in authorities) chain.ChainPolicy.ExtraStore.Add(authority.Certificate);
        return chain;
    }

    [Fact]
    public void The_root_in_the_bundle_and_the_intermediate_sent_by_the_peer_verify()
    {
        using var sent = Sent(_intermediate);
        Assert.True(TrustAnchors.Chains(_leaf, Bundle(_root), sent));
    }

    [Fact]
    public void The_root_alone_does_not_verify_when_the_peer_leaves_its_intermediate_out()
    {
        Assert.False(TrustAnchors.Chains(_leaf, Bundle(_root), null));
        using var sentNothing = Sent();
        Assert.False(TrustAnchors.Chains(_leaf, Bundle(_root), sentNothing));
    }

    [Fact]
    public void An_intermediate_in_the_bundle_is_an_anchor_with_or_without_its_root()
    {
        Assert.True(TrustAnchors.Chains(_leaf, Bundle(_intermediate), null));
        Assert.True(TrustAnchors.Chains(_leaf, Bundle(_root, _intermediate), null));
    }

    [Fact]
    public void An_intermediate_in_the_bundle_is_an_anchor_when_the_peer_also_sends_the_root_above_it()
    {
        // A "full chain" PEM on the server: the chain climbs past the anchor to a root nobody trusts.
        using var sent = Sent(_intermediate, _root);
        Assert.True(TrustAnchors.Chains(_leaf, Bundle(_intermediate), sent));
    }

    [Fact]
    public void The_certificate_itself_in_the_bundle_is_an_anchor()
    {
        X509Certificate2Collection pinned = [X509CertificateLoader.LoadCertificate(_leaf.RawData)];
        using var sent = Sent(_intermediate);
        Assert.True(TrustAnchors.Chains(_leaf, pinned, sent));
        Assert.True(TrustAnchors.Chains(_leaf, pinned, null));
    }

    [Fact]
    public void A_certificate_not_meant_for_servers_is_refused()
    {
        using var client = _intermediate.IssueClientCertificate("someone");
        using var sent = Sent(_intermediate);
        Assert.False(TrustAnchors.Chains(client, Bundle(_root), sent));
        Assert.False(TrustAnchors.Chains(client, Bundle(_intermediate), null));
    }

    [Fact]
    public void An_anchor_out_of_its_validity_period_anchors_nothing()
    {
        // An intermediate that expired yesterday, and a certificate it issued before then that is still within its own period.
        using var rootKey = ECDsa.Create();
        rootKey.ImportFromPem(_root.KeyPem);
        using var midKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var midRequest = new CertificateRequest("CN=Expired Issuing CA", midKey, HashAlgorithmName.SHA256);
        midRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        midRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        midRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(midRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var expired = midRequest.Create(_root.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey),
            now.AddDays(-10), now.AddDays(-1), [5, 6, 7]);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=quay.example.com", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(expired, true, false));
        using var leaf = leafRequest.Create(expired.SubjectName, X509SignatureGenerator.CreateForECDsa(midKey), now.AddDays(-5), now.AddDays(5), [8, 9]);

        Assert.False(TrustAnchors.Chains(leaf, [X509CertificateLoader.LoadCertificate(expired.RawData)], null));
    }

    [Fact]
    public void What_the_peer_sends_is_never_an_anchor()
    {
        using var other = CertificateAuthority.Create("Some other CA");
        using var sentAll = Sent(_intermediate, _root);
        Assert.False(TrustAnchors.Chains(_leaf, Bundle(other), sentAll));
        Assert.False(TrustAnchors.Chains(_leaf, [], sentAll));
    }

    [Fact]
    public void A_certificate_that_names_an_anchor_as_its_issuer_without_its_signature_is_refused()
    {
        // Same issuer name and key identifier as the intermediate, signed with another key: the partial chain reaches
        // the anchor, and only its signature check tells the forgery apart.
        using var forgerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=quay.example.com", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("quay.example.com");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_intermediate.Certificate, true, false));
        using var forged = request.Create(_intermediate.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(forgerKey),
            DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);

        Assert.False(TrustAnchors.Chains(forged, Bundle(_intermediate), null));
        using var sent = Sent(_intermediate);
        Assert.False(TrustAnchors.Chains(forged, Bundle(_root), sent));
    }

    [Fact]
    public void An_expired_certificate_is_refused_even_below_an_anchor()
    {
        // Valid until a minute ago; the intermediate as the anchor, so the chain is judged through the partial path.
        using var shortLived = CertificateAuthority.Create("Short-lived CA", TimeSpan.FromMinutes(-1));
        using var issuing = shortLived.CreateIntermediate("Short-lived issuing CA");
        using var leaf = issuing.IssueServerCertificate(["quay.example.com"], []);
        Assert.False(TrustAnchors.Chains(leaf, Bundle(issuing), null));
    }
}
