using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>The host's HTTPS webhook listener (the seam for /admissionwebhook): TLS 1.2+, certificate reloaded on rotation.</summary>
[Collection(ProcessWideCollection.Name)]
public sealed class HostTests
{
    private static (string KeyPem, string CertificatePem) MakeCertificate(string cn)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return (key.ExportPkcs8PrivateKeyPem(), certificate.ExportCertificatePem());
    }

    private static void WriteCertificate(string dir, string cn)
    {
        var (key, certificate) = MakeCertificate(cn);
        // Write the key first and the certificate last, as a rotation tool would.
        File.WriteAllText(Path.Combine(dir, "apiserver.key"), key);
        File.WriteAllText(Path.Combine(dir, "apiserver.crt"), certificate);
        File.SetLastWriteTimeUtc(Path.Combine(dir, "apiserver.crt"), DateTime.UtcNow.AddSeconds(cn.Length)); // distinct timestamps
    }

    /// <summary>
    /// Writes tls.crt/tls.key the way the kubelet updates a mounted Secret (its atomic writer): the files go into a new
    /// hidden directory, <c>..data</c> is switched to it by a rename, and <c>tls.crt</c> and <c>tls.key</c> are symlinks
    /// to <c>..data/…</c> made once, whose own times never change.
    /// </summary>
    private static void WriteSecretVolume(string dir, string cn)
    {
        var (key, certificate) = MakeCertificate(cn);
        var version = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss.fffffff}";
        Directory.CreateDirectory(Path.Combine(dir, version));
        File.WriteAllText(Path.Combine(dir, version, "tls.key"), key);
        File.WriteAllText(Path.Combine(dir, version, "tls.crt"), certificate);
        var next = Path.Combine(dir, "..data_tmp");
        Directory.CreateSymbolicLink(next, version);
        Assert.Equal(0, Rename(next, Path.Combine(dir, "..data")));
        foreach (var file in new[] { "tls.crt", "tls.key" })
            if (!File.Exists(Path.Combine(dir, file))) File.CreateSymbolicLink(Path.Combine(dir, file), Path.Combine("..data", file));
    }

    // rename(2) replaces the ..data symlink atomically, as the kubelet does; .NET's moves refuse an existing target.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename(string from, string to);

    /// <summary>Connects with only <paramref name="protocols"/> enabled and returns the subject of the served certificate.</summary>
    private static async Task<string> Handshake(string url, SslProtocols protocols)
    {
        string? subject = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                EnabledSslProtocols = protocols,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => { subject = certificate?.Subject; return true; },
            },
        };
        using var http = new HttpClient(handler);
        // The webhook is the only endpoint on this listener; its 400 for an empty object proves the handshake.
        using var response = await http.PostAsync(url + "/admissionwebhook", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return subject!;
    }

    [Fact]
    public async Task Webhook_listener_serves_tls12_or_later_and_reloads_a_rotated_certificate()
    {
        var dir = Directory.CreateTempSubdirectory("webhook-certs").FullName;
        try
        {
            WriteCertificate(dir, "first");
            await using var env = await StartAsync(createIntegration: false);
            var op = await env.StartOperatorAsync("operator-1", "--Operator:Webhook:Disabled=false", "--Operator:Webhook:Port=0", "--Operator:Webhook:CertDir=" + dir);
            Assert.NotNull(op.WebhookUrl);
            Assert.Equal("CN=first", await Handshake(op.WebhookUrl!, SslProtocols.Tls12));
            Assert.Equal("CN=first", await Handshake(op.WebhookUrl!, SslProtocols.Tls13 | SslProtocols.Tls12));

            WriteCertificate(dir, "second-rotated");
            Assert.Equal("CN=second-rotated", await Handshake(op.WebhookUrl!, SslProtocols.Tls12));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Webhook_listener_serves_a_certificate_mounted_after_the_start_and_follows_a_kubelet_style_secret_update()
    {
        var dir = Directory.CreateTempSubdirectory("webhook-secret-volume").FullName;
        try
        {
            // An optional Secret volume the service CA or cert-manager fills in after the pod started.
            await using var env = await StartAsync(createIntegration: false);
            var op = await env.StartOperatorAsync("operator-1", "--Operator:Webhook:Disabled=false", "--Operator:Webhook:Port=0", "--Operator:Webhook:CertDir=" + dir);
            Assert.NotNull(op.WebhookUrl);
            await Assert.ThrowsAsync<HttpRequestException>(() => Handshake(op.WebhookUrl!, SslProtocols.Tls12));

            WriteSecretVolume(dir, "mounted-late");
            Assert.Equal("CN=mounted-late", await Handshake(op.WebhookUrl!, SslProtocols.Tls12));

            WriteSecretVolume(dir, "renewed");
            Assert.Equal("CN=renewed", await Handshake(op.WebhookUrl!, SslProtocols.Tls12));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Without_an_integration_the_operator_is_ready_and_does_nothing_until_one_appears()
    {
        await using var env = await StartAsync(createIntegration: false);
        var op = await env.StartOperatorAsync();
        using var http = new HttpClient();
        await Eventually(async () => (await http.GetAsync(op.BaseUrl + "/readyz")).StatusCode == HttpStatusCode.OK, "ready");
        var before = await NamespaceReconcilesAsync(http, op);
        await env.CreateNamespaceAsync("idle");
        // The namespace was looked at (a reconcile ran for it), and that look did nothing.
        await Eventually(async () => await NamespaceReconcilesAsync(http, op) > before, "the new namespace reconciled");
        Assert.Empty(env.Quay.State.Organizations);
        Assert.DoesNotContain("quay.redhat.com/quayintegrations", (await env.GetNamespaceAsync("idle"))!.Metadata.Finalizers ?? []);
        Assert.Null(await env.GetRecordAsync("idle"));

        await env.CreateIntegrationAsync(IntegrationName, spec => spec["allowlistNamespaces"] = new System.Text.Json.Nodes.JsonArray("idle"));
        await Eventually(() => env.IsSeededAsync("idle", "openshift_idle"), "set up once a QuayIntegration exists");
    }

    private static async Task<double> NamespaceReconcilesAsync(HttpClient http, RunningOperator op) =>
        (await op.MetricSamplesAsync(http, "quayintegration_reconcile_total{controller=\"namespace\"")).Sum();

    /// <summary>
    /// Once synced, a replica stays ready when the API server stops answering its lists and watches (here: 403 for its
    /// namespaces, as after an RBAC change), so the metric is what tells that its cache no longer follows the cluster:
    /// it counts the seconds of failure, and is 0 again once a list succeeds, after which a new namespace is set up.
    /// </summary>
    [Fact]
    public async Task A_cache_that_stops_following_the_cluster_shows_in_a_metric_while_the_replica_stays_ready()
    {
        await using var env = await StartAsync();
        var op = await env.StartOperatorAsync();
        using var http = new HttpClient();
        await Eventually(async () => (await http.GetAsync(op.BaseUrl + "/readyz")).StatusCode == HttpStatusCode.OK, "ready");
        Assert.Equal(0, await InformerFailingAsync(http, op, "namespaces"));

        var faults = env.Cluster.ApiServer.Faults;
        faults.InjectStatus(403, count: int.MaxValue, resource: "namespaces", verb: "list", user: env.OperatorUser);
        faults.InjectStatus(403, count: int.MaxValue, resource: "namespaces", verb: "watch", user: env.OperatorUser);
        faults.DropWatches("namespaces");
        await Eventually(async () => await InformerFailingAsync(http, op, "namespaces") >= 1, "the namespaces cache failing for a second");
        Assert.Equal(0, await InformerFailingAsync(http, op, "secrets"));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(op.BaseUrl + "/readyz")).StatusCode);

        faults.Reset();
        await Eventually(async () => await InformerFailingAsync(http, op, "namespaces") == 0, "following the cluster again", TimeSpan.FromSeconds(45));
        await env.CreateNamespaceAsync("after");
        await Eventually(() => env.IsSeededAsync("after", "openshift_after"), "a namespace created since is set up");
    }

    private static async Task<double> InformerFailingAsync(HttpClient http, RunningOperator op, string resource) =>
        (await op.MetricSamplesAsync(http, $"quayintegration_informer_failing_seconds{{resource=\"{resource}\"}}")).Single();

    [Fact]
    public async Task On_plain_kubernetes_without_imagestreams_the_operator_starts_and_syncs_the_default_service_account()
    {
        await using var env = await StartAsync(openShift: false);
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("vanilla");
        await Eventually(async () =>
        {
            var sa = await env.Cluster.Oc.WaitForServiceAccountAsync("vanilla", "default");
            return sa.ImagePullSecrets?.Any(s => s.Name == "default-quay-openshift") == true;
        }, "default service account linked");
        // builder and deployer never appear on plain Kubernetes: their robots and Secrets exist, nothing is blocked.
        Assert.NotNull(await env.GetSecretAsync("vanilla", "builder-quay-openshift"));
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(op.BaseUrl + "/readyz")).StatusCode);
        // A kind the cluster does not serve is an answer, not a cache that failed (no QuayIntegrationCacheStale).
        Assert.Equal(0, await InformerFailingAsync(http, op, "imagestreams"));
        Assert.Equal(0, await InformerFailingAsync(http, op, "builds"));
    }

    [Fact]
    public async Task ListPageSize_makes_every_informer_list_in_pages_and_the_operator_still_syncs()
    {
        await using var env = await StartAsync();
        await env.CreateNamespaceAsync("paged-a");
        await env.CreateNamespaceAsync("paged-b"); // several namespaces, so every list of service accounts spans pages
        var op = await env.StartOperatorAsync("operator-1", "--Operator:ListPageSize=2");

        var caches = op.Service<ClusterCaches>();
        int?[] pageSizes =
        [
            caches.Namespaces.ListPageSize, caches.ServiceAccounts.ListPageSize, caches.Secrets.ListPageSize,
            caches.ImageStreams.ListPageSize, caches.QuayIntegrations.ListPageSize, op.Service<Informer<Build>>().ListPageSize,
        ];
        Assert.All(pageSizes, size => Assert.Equal(2, size));
        await Eventually(() => env.IsSeededAsync("paged-a", "openshift_paged-a"), "paged-a synced");
        await Eventually(() => env.IsSeededAsync("paged-b", "openshift_paged-b"), "paged-b synced");
    }
}
