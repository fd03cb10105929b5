using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using k8s;
using QuayIntegration.Deploy.Tests.Support;
using QuayIntegration.Emulators.Cluster;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// deploy/ installed with kubectl on the emulated cluster (which enforces RBAC and answers TokenReview and
/// SubjectAccessReview as kube-apiserver does), the operator running as its service account with secure metrics, and
/// scrapers with real service-account tokens over real HTTPS.
/// </summary>
public sealed class SecureMetricsTests : IAsyncLifetime
{
    private const string Ns = "quay-integration";
    private const string OperatorUser = $"system:serviceaccount:{Ns}:quay-integration";
    private readonly string _directory = Directory.CreateTempSubdirectory("secure-metrics-").FullName;
    private EmulatedCluster _cluster = null!;
    private string _operatorKubeconfig = null!;

    public async Task InitializeAsync()
    {
        _cluster = await EmulatedCluster.StartAsync(new EmulatedClusterOptions());
        using (var kubectl = new Kubectl(_cluster.KubeconfigPath)) await kubectl.RunAsync("apply", "-k", "deploy/");
        _operatorKubeconfig = await ServiceAccountKubeconfig.WriteAsync(_cluster.Client, _cluster.ApiServer, Ns, "quay-integration",
            Path.Combine(_directory, "operator.kubeconfig"));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<WebApplication> StartOperatorAsync(string certDir, string cacheDuration = "00:00:01")
    {
        Directory.CreateDirectory(certDir);
        var app = OperatorHost.Build([
            "--kubeconfig", _operatorKubeconfig,
            "--Operator:BindAddress=127.0.0.1",
            "--Operator:MetricsPort=0",
            "--metrics-secure=true",
            "--metrics-secure-port=0",
            "--Operator:Metrics:CertDir=" + certDir,
            "--Operator:Metrics:AllowedCacheDuration=" + cacheDuration,
            "--Operator:Metrics:DeniedCacheDuration=" + cacheDuration,
            "--Operator:Webhook:Disabled=true",
            "--Operator:LeaderElection:Enabled=false",
            "--Operator:OperatorNamespace=" + Ns,
            "--Serilog:MinimumLevel:Default=Warning",
        ]);
        await app.StartAsync();
        return app;
    }

    private static async Task StopAsync(WebApplication app)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await app.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Only_a_token_the_API_server_authorizes_for_get_metrics_reads_them_over_HTTPS_and_probes_stay_plain()
    {
        var kube = _cluster.Client;
        await MetricsAccessClient.CreateServiceAccountAsync(kube, Ns, "prometheus", "quay-integration-metrics-reader");
        await MetricsAccessClient.CreateServiceAccountAsync(kube, Ns, "nobody", clusterRole: null);
        var app = await StartOperatorAsync(Path.Combine(_directory, "no-certificate"));
        try
        {
            using var scraper = new MetricsAccessClient(app);

            var (status, body, response) = await scraper.GetAsync(token: null);
            Assert.Equal(401, status);
            Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
            Assert.Contains("needs a bearer token", body);

            (status, body, _) = await scraper.GetAsync("not-a-token-the-api-server-knows");
            Assert.Equal(401, status);
            Assert.Contains("does not accept this token", body);

            (status, body, _) = await scraper.GetAsync(await MetricsAccessClient.TokenAsync(kube, Ns, "nobody"));
            Assert.Equal(403, status);
            Assert.Contains($"user \"system:serviceaccount:{Ns}:nobody\" is not allowed get on the non-resource URL /metrics", body);

            (status, body, _) = await scraper.GetAsync(await MetricsAccessClient.TokenAsync(kube, Ns, "prometheus"));
            Assert.True(status == 200, body);
            Assert.Contains("# TYPE quayintegration_leader gauge", body);
            Assert.Contains("quayintegration_webhook_certificate_expiry_timestamp_seconds", body);

            // The reviews were made by the operator under its own service account (deploy/base/rbac.yaml grants them).
            var calls = _cluster.ApiServer.Requests.ByUser(OperatorUser).Keys;
            Assert.Contains(calls, c => c.Verb == "create" && c.Group == "authentication.k8s.io" && c.ResourcePath == "tokenreviews");
            Assert.Contains(calls, c => c.Verb == "create" && c.Group == "authorization.k8s.io" && c.ResourcePath == "subjectaccessreviews");

            // The plain port answers the probes and has no /metrics; the secure port speaks only TLS.
            using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{scraper.HealthPort}") };
            Assert.Equal(HttpStatusCode.NotFound, (await plain.GetAsync("/metrics")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync("/healthz")).StatusCode);
            await Repo.Eventually(async () => (await plain.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "/readyz");
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync(scraper.Url.Replace("https://", "http://", StringComparison.Ordinal)));
        }
        finally
        {
            await StopAsync(app);
        }
    }

    [Fact]
    public async Task Decisions_are_remembered_briefly_so_a_revoked_binding_takes_effect_once_they_expire()
    {
        var kube = _cluster.Client;
        await WithAllowedScraperAsync("scraper", "00:00:02", async (scraper, reviewer, token) =>
        {
            for (var i = 0; i < 5; i++) Assert.Equal(200, (await scraper.GetAsync(token)).Status);
            Assert.Equal(2, reviewer.ReviewsSent); // one TokenReview and one SubjectAccessReview for five scrapes

            await kube.RbacAuthorizationV1.DeleteClusterRoleBindingAsync($"{Ns}-scraper");
            Assert.Equal(200, (await scraper.GetAsync(token)).Status); // still remembered
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            var (status, body, _) = await scraper.GetAsync(token);
            Assert.True(status == 403, $"{status}: {body}");
            Assert.Equal(4, reviewer.ReviewsSent);
        });
    }

    [Fact]
    public async Task Scrapes_arriving_together_share_one_review_and_a_flood_of_made_up_tokens_does_not_evict_an_allowed_scraper()
    {
        await WithAllowedScraperAsync("together", "00:05:00", async (scraper, reviewer, token) =>
        {
            // Ten scrapes at once with a token not seen yet: one TokenReview and one SubjectAccessReview between them.
            var first = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => scraper.GetAsync(token)));
            Assert.All(first, r => Assert.Equal(200, r.Status));
            Assert.Equal(2, reviewer.ReviewsSent);

            // More made-up tokens than the decisions remembered: each is reviewed (and refused) once...
            var flood = (MetricsAccessReviewer.MaxCachedTokens / 50 + 3) * 50; // whole batches of 50, beyond the limit
            for (var batch = 0; batch < flood; batch += 50)
            {
                var answers = await Task.WhenAll(Enumerable.Range(batch, 50).Select(i => scraper.GetAsync($"made-up-token-{i}")));
                Assert.All(answers, r => Assert.Equal(401, r.Status));
            }
            Assert.Equal(2 + flood, reviewer.ReviewsSent);
            // ... and the allowed scraper is still remembered: no new review for it.
            Assert.Equal(200, (await scraper.GetAsync(token)).Status);
            Assert.Equal(2 + flood, reviewer.ReviewsSent);
        });
    }

    /// <summary>
    /// An operator whose decisions last <paramref name="cacheDuration"/>, and the token of service account
    /// <paramref name="serviceAccount"/>, bound to quay-integration-metrics-reader; stopped afterwards.
    /// </summary>
    private async Task WithAllowedScraperAsync(string serviceAccount, string cacheDuration, Func<MetricsAccessClient, MetricsAccessReviewer, string, Task> test)
    {
        var kube = _cluster.Client;
        await MetricsAccessClient.CreateServiceAccountAsync(kube, Ns, serviceAccount, "quay-integration-metrics-reader");
        var app = await StartOperatorAsync(Path.Combine(_directory, serviceAccount), cacheDuration);
        try
        {
            using var scraper = new MetricsAccessClient(app);
            await test(scraper, app.Services.GetRequiredService<MetricsAccessReviewer>(), await MetricsAccessClient.TokenAsync(kube, Ns, serviceAccount));
        }
        finally
        {
            await StopAsync(app);
        }
    }

    [Fact]
    public async Task A_certificate_in_the_metrics_certificate_directory_is_served_and_a_renewed_one_replaces_it()
    {
        var kube = _cluster.Client;
        await MetricsAccessClient.CreateServiceAccountAsync(kube, Ns, "verifier", "quay-integration-metrics-reader");
        var certDir = Path.Combine(_directory, "service-ca");
        Directory.CreateDirectory(certDir);
        using var ca = CertificateAuthority.Create("test service CA", TimeSpan.FromDays(30));
        using var first = Certificates.WriteServing(ca, certDir, "quay-integration-metrics.quay-integration.svc");
        var app = await StartOperatorAsync(certDir);
        try
        {
            var token = await MetricsAccessClient.TokenAsync(kube, Ns, "verifier");
            Assert.Equal(first.Thumbprint, MetricsAccessClient.ServedCertificate(app).Thumbprint);
            Assert.Equal(200, await VerifiedGetAsync(app, ca.Certificate, token));

            await Task.Delay(1100); // a later modification time than the first pair's
            using var renewed = Certificates.WriteServing(ca, certDir, "quay-integration-metrics.quay-integration.svc");
            Assert.Equal(renewed.Thumbprint, MetricsAccessClient.ServedCertificate(app).Thumbprint);
            Assert.Equal(200, await VerifiedGetAsync(app, ca.Certificate, token));
        }
        finally
        {
            await StopAsync(app);
        }
    }

    [Fact]
    public async Task A_broken_metrics_certificate_stops_the_start_naming_the_file()
    {
        var certDir = Path.Combine(_directory, "broken");
        Directory.CreateDirectory(certDir);
        await File.WriteAllTextAsync(Path.Combine(certDir, "tls.crt"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        await File.WriteAllTextAsync(Path.Combine(certDir, "tls.key"), "not a key");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartOperatorAsync(certDir));
        var messages = string.Join(" | ", Unwrap(error).Select(e => e.Message));
        Assert.Contains(Path.Combine(certDir, "tls.crt"), messages);
        Assert.Contains("cannot be loaded", messages);
    }

    private static IEnumerable<Exception> Unwrap(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    /// <summary>A scrape that verifies the chain up to <paramref name="ca"/> (as Prometheus does with the service CA), connecting to 127.0.0.1.</summary>
    private static async Task<int> VerifiedGetAsync(WebApplication app, X509Certificate2 ca, string token)
    {
        using var scraper = new MetricsAccessClient(app);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate) && certificate.MatchesHostname("quay-integration-metrics.quay-integration.svc");
            },
        };
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, scraper.Url);
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        return (int)response.StatusCode;
    }
}

/// <summary>Serving pairs signed by a test CA, written as tls.crt/tls.key like a service-ca Secret.</summary>
public static class Certificates
{
    public static X509Certificate2 WriteServing(CertificateAuthority ca, string directory, string dnsName)
    {
        using var issued = ca.IssueServerCertificate([dnsName], []);
        CertificateAuthority.WritePemFiles(issued, Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));
        return X509CertificateLoader.LoadCertificate(issued.RawData);
    }
}
