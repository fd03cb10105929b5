using Microsoft.Extensions.Options;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The Quay client's TLS verification with a configured CA bundle when Quay's certificate was issued by an
/// intermediate CA, the usual shape of a corporate PKI: over real TLS against the emulated Quay. The bundle's
/// certificates are the trust anchors, as Go's root pool makes them for the Go operator and for client-go; what the
/// server sends helps build the chain and is never trusted by itself.
/// </summary>
public sealed class QuayTlsChainTests
{
    private const string Token = "operator-token-0123456789";

    private static async Task<QuayEmulator> StartQuay(QuayCertificateChain chain, Uri? issuerUrl = null) =>
        await QuayEmulator.StartAsync(new QuayEmulatorOptions { CertificateChain = chain, CertificateIssuerUrl = issuerUrl }
            .WithUserToken("operator", Token, QuayScopes.All & ~QuayScopes.SuperUser));

    private static async Task<QuayOutcome> TokenCheck(QuayEmulator quay, string? caBundle)
    {
        var factory = new QuayClientFactory(Options.Create(new QuayOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20) }), TimeProvider.System);
        var client = factory.GetClient("test", new QuayConnection(new Uri(quay.BaseUrl + "/"), Token, caBundle, false));
        return (await client.GetCurrentUserAsync(default)).Outcome;
    }

    [Fact]
    public async Task A_certificate_from_an_intermediate_the_server_sends_is_verified_with_the_root_alone_in_the_bundle()
    {
        await using var quay = await StartQuay(QuayCertificateChain.IntermediateSent);
        Assert.Equal(QuayOutcome.Success, await TokenCheck(quay, quay.CaCertificatePem));
    }

    [Fact]
    public async Task An_intermediate_in_the_bundle_is_a_trust_anchor_as_in_go()
    {
        await using var quay = await StartQuay(QuayCertificateChain.IntermediateSent);
        Assert.Equal(QuayOutcome.Success, await TokenCheck(quay, quay.IntermediateCertificatePem));
    }

    [Fact]
    public async Task An_intermediate_in_the_bundle_is_a_trust_anchor_even_when_the_server_sends_the_root_above_it()
    {
        await using var quay = await StartQuay(QuayCertificateChain.IntermediateAndRootSent);
        Assert.Equal(QuayOutcome.Success, await TokenCheck(quay, quay.IntermediateCertificatePem));
        Assert.Equal(QuayOutcome.Success, await TokenCheck(quay, quay.CaCertificatePem));
    }

    [Fact]
    public async Task A_server_that_leaves_its_intermediate_out_is_verified_only_with_the_intermediate_in_the_bundle()
    {
        await using var quay = await StartQuay(QuayCertificateChain.IntermediateNotSent);
        Assert.Equal(QuayOutcome.TlsFailure, await TokenCheck(quay, quay.CaCertificatePem));
        Assert.Equal(QuayOutcome.Success, await TokenCheck(quay, quay.CaCertificatePem + "\n" + quay.IntermediateCertificatePem));
    }

    [Fact]
    public async Task What_the_server_sends_is_never_trusted_by_itself()
    {
        await using var quay = await StartQuay(QuayCertificateChain.IntermediateSent);
        using var other = CertificateAuthority.Create("Some other CA");
        Assert.Equal(QuayOutcome.TlsFailure, await TokenCheck(quay, other.CertificatePem));
        using var otherIntermediate = other.CreateIntermediate("Some other intermediate CA");
        Assert.Equal(QuayOutcome.TlsFailure, await TokenCheck(quay, other.CertificatePem + "\n" + otherIntermediate.CertificatePem));
    }

    [Fact]
    public async Task A_missing_intermediate_is_never_fetched_from_the_address_the_certificate_names()
    {
        // Where Quay's certificate says its issuer can be fetched: an address that never answers, as one out of reach
        // of a cluster without egress would.
        using var issuerSite = new UnansweringListener();
        await using var quay = await StartQuay(QuayCertificateChain.IntermediateNotSent, issuerSite.Url("intermediate.crt"));
        Assert.Equal(QuayOutcome.TlsFailure, await TokenCheck(quay, quay.CaCertificatePem));
        Assert.Equal(QuayOutcome.Success, await TokenCheck(quay, quay.CaCertificatePem + "\n" + quay.IntermediateCertificatePem));
        Assert.Equal(0, issuerSite.Visits);
    }
}
