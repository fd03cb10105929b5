using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using QuayIntegration.Operator.Tests.Support;
using QuayIntegration.Testing.Core;
using static QuayIntegration.Testing.Polling;
using Serilog.Events;
using TestCa = QuayIntegration.Testing.Core.CertificateAuthority;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The webhook's certificate file as cert-manager writes it for an issuer with an intermediate CA (the leaf, then the
/// intermediate), the API server trusting only the root (the webhook configuration's caBundle), and the leaf naming an
/// address its issuer can be downloaded from that never answers, as one out of reach of a cluster without egress.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class WebhookServingChainTests
{
    private const string ServiceHost = $"{WebhookSetup.ServiceName}.{WebhookSetup.ServiceNamespace}.svc";

    [Fact]
    public async Task The_webhook_sends_the_intermediates_of_its_certificate_file_and_never_downloads_a_missing_one()
    {
        using var root = TestCa.Create("webhook root CA");
        using var intermediate = root.CreateIntermediate("webhook issuing CA");
        using var issuerSite = new UnansweringListener();
        using var leaf = intermediate.IssueServerCertificate([ServiceHost], [], issuerSite.Url("issuing-ca.crt"));
        using var webhook = new WebhookSetup();
        webhook.WriteServingFiles(leaf, intermediate.Certificate);

        await using var env = await OperatorEnvironment.StartAsync(createIntegration: false);
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        var first = new Handshake();
        Assert.Equal(HttpStatusCode.BadRequest, await PostTrustingOnly(root, op.WebhookUrl!, first)); // its answer to "{}": the handshake held
        Assert.Equal(intermediate.Certificate.Thumbprint, Assert.Single(first.Sent).Thumbprint);

        // The same certificate without its intermediate: refused at once by a client that cannot find the issuer,
        // and nothing fetched from the address the certificate names.
        webhook.WriteServingFiles(leaf);
        var clock = Stopwatch.StartNew();
        var second = new Handshake();
        await Assert.ThrowsAsync<HttpRequestException>(() => PostTrustingOnly(root, op.WebhookUrl!, second));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the handshake took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(leaf.Thumbprint, second.Leaf?.Thumbprint); // the server served it, the client refused it:
        Assert.Empty(second.Sent);
        Assert.True(second.Errors?.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors), $"{second.Errors}");
        Assert.Equal(0, issuerSite.Visits);
    }

    [Fact]
    public async Task Certificates_in_the_file_the_leaf_does_not_chain_to_are_named_in_one_warning_and_the_chain_is_still_served()
    {
        using var root = TestCa.Create("webhook root CA");
        using var intermediate = root.CreateIntermediate("webhook issuing CA");
        using var otherRoot = TestCa.Create("retired root CA");
        using var stale = otherRoot.CreateIntermediate("retired issuing CA");
        using var leaf = intermediate.IssueServerCertificate([ServiceHost], []);
        using var webhook = new WebhookSetup();
        // A stale intermediate left over from a CA rotation, the right one, and the root (never sent, not a mistake).
        webhook.WriteServingFiles(leaf, stale.Certificate, intermediate.Certificate, root.Certificate);

        var log = new CapturedLog();
        await using var env = await OperatorEnvironment.StartAsync(createIntegration: false);
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs(log.OperatorArgs()));
        for (var i = 0; i < 3; i++)
        {
            var seen = new Handshake();
            Assert.Equal(HttpStatusCode.BadRequest, await PostTrustingOnly(root, op.WebhookUrl!, seen));
            Assert.Equal(intermediate.Certificate.Thumbprint, Assert.Single(seen.Sent).Thumbprint);
        }
        var warning = Assert.Single(log.Events, e => e.Level == LogEventLevel.Warning && CapturedLog.Render(e).Contains("does not chain to"));
        var text = CapturedLog.Render(warning);
        Assert.Contains("CN=retired issuing CA", text);
        Assert.DoesNotContain("CN=webhook issuing CA", text.Split("so they are not sent")[1]);
        Assert.DoesNotContain("root CA", text);
    }

    [Fact]
    public async Task A_rotated_certificate_not_for_server_authentication_is_not_served_and_the_one_before_stays()
    {
        using var root = TestCa.Create("webhook root CA");
        using var serving = root.IssueServerCertificate([ServiceHost], []);
        using var clientOnly = root.IssueClientCertificate(ServiceHost);
        using var webhook = new WebhookSetup();
        webhook.WriteServingFiles(serving);

        await using var env = await OperatorEnvironment.StartAsync(createIntegration: false);
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        var before = new Handshake();
        Assert.Equal(HttpStatusCode.BadRequest, await PostTrustingOnly(root, op.WebhookUrl!, before));
        Assert.Equal(serving.Thumbprint, before.Leaf?.Thumbprint);

        // A certificate for TLS clients only (its extended key usage), written where the serving one was.
        webhook.WriteServingFiles(clientOnly);
        var after = new Handshake();
        Assert.Equal(HttpStatusCode.BadRequest, await PostTrustingOnly(root, op.WebhookUrl!, after));
        Assert.Equal(serving.Thumbprint, after.Leaf?.Thumbprint);
    }

    /// <summary>
    /// The expiry metric tells when what the webhook sends stops verifying: an intermediate that expires before the
    /// leaf it issued is the date, not the leaf's, and certificates in the file that are not sent (a stale
    /// intermediate, a root) do not count however soon they expire; a file rotated to the leaf alone shows the leaf's.
    /// </summary>
    [Fact]
    public async Task The_certificate_expiry_metric_is_the_earliest_of_the_leaf_and_the_intermediates_it_sends()
    {
        using var root = TestCa.Create("webhook root CA", TimeSpan.FromDays(5));
        using var intermediate = root.CreateIntermediate("webhook issuing CA", TimeSpan.FromDays(20));
        using var otherRoot = TestCa.Create("retired root CA");
        using var stale = otherRoot.CreateIntermediate("retired issuing CA", TimeSpan.FromDays(2));
        using var leaf = intermediate.IssueServerCertificate([ServiceHost], [], notAfter: DateTimeOffset.UtcNow.AddDays(90));
        using var rootIssued = otherRoot.IssueServerCertificate([ServiceHost], [], notAfter: DateTimeOffset.UtcNow.AddDays(45));
        using var webhook = new WebhookSetup();
        webhook.WriteServingFiles(leaf, stale.Certificate, intermediate.Certificate, root.Certificate);

        await using var env = await OperatorEnvironment.StartAsync(createIntegration: false);
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        using var http = new HttpClient();
        Assert.Equal(UnixSeconds(intermediate.Certificate), Assert.Single(await op.MetricSamplesAsync(http, ExpirySeries)));

        webhook.WriteServingFiles(rootIssued);
        await Eventually(async () => (await op.MetricSamplesAsync(http, ExpirySeries)) is [var expiry] && expiry == UnixSeconds(rootIssued),
            "the rotated leaf's expiry");
    }

    private const string ExpirySeries = "quayintegration_webhook_certificate_expiry_timestamp_seconds ";

    private static double UnixSeconds(X509Certificate2 certificate) => new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds();

    /// <summary>What the client saw of the server's certificate.</summary>
    private sealed class Handshake
    {
        public X509Certificate2? Leaf { get; set; }
        public List<X509Certificate2> Sent { get; } = [];
        public SslPolicyErrors? Errors { get; set; }
    }

    /// <summary>
    /// Posts <c>{}</c> as the API server would: trusting only <paramref name="root"/>, building the chain from what the
    /// server sent and nothing downloaded, checking the Service's name; what it saw goes into <paramref name="seen"/>.
    /// </summary>
    private static async Task<HttpStatusCode> PostTrustingOnly(TestCa root, string webhookUrl, Handshake seen)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = ServiceHost,
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { root.Certificate },
                    RevocationMode = X509RevocationMode.NoCheck,
                    DisableCertificateDownloads = true,
                },
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    if (certificate is null || chain is null) return false;
                    var leaf = seen.Leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    seen.Sent.AddRange(chain.ChainPolicy.ExtraStore.Where(c => c.Thumbprint != leaf.Thumbprint));
                    seen.Errors = errors;
                    // The connection goes to 127.0.0.1, so the name is checked here against the Service's, as the API server would.
                    return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None && leaf.MatchesHostname(ServiceHost);
                },
            },
        });
        using var response = await http.PostAsync(webhookUrl + "/admissionwebhook", new StringContent("{}"));
        return response.StatusCode;
    }
}
