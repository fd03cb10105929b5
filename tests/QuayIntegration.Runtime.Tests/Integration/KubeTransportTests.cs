using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime.Tests.Support;
using QuayIntegration.Testing;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>
/// The connection <see cref="KubeApi"/> builds from a <see cref="ClusterAccess"/>, over real TLS against the
/// emulated API server (its certificate issued by its own CA for localhost and 127.0.0.1): the server is trusted
/// through the configured CA only, verification is skipped only when asked, and each request carries the configured
/// credentials.
/// </summary>
public sealed class KubeTransportTests : IAsyncLifetime
{
    private EmulatedApiServer _world = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _world = await EmulatedApiServer.StartAsync();
        _kubeconfig = Path.Combine(Path.GetTempPath(), $"transport-{Guid.NewGuid():N}.kubeconfig");
        _world.Server.WriteKubeconfig(_kubeconfig);
    }

    public async Task DisposeAsync()
    {
        File.Delete(_kubeconfig);
        await _world.DisposeAsync();
    }

    private ClusterAccess Configuration() => Kubeconfig.Load(_kubeconfig);

    private static async Task<V1Namespace?> ReadDefaultNamespace(ClusterAccess configuration)
    {
        using var api = new KubeApi(configuration);
        return await api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None);
    }

    [Fact]
    public async Task With_the_clusters_CA_the_server_is_trusted_and_the_token_accepted()
    {
        var configuration = Configuration();
        Assert.NotEmpty(configuration.CertificateAuthorities!);
        Assert.Equal("default", (await ReadDefaultNamespace(configuration))?.Metadata.Name);
    }

    [Fact]
    public async Task A_server_certificate_from_another_CA_is_refused()
    {
        using var other = CertificateAuthority.Create("another-ca");
        var configuration = Configuration() with { CertificateAuthorities = [X509CertificateLoader.LoadCertificate(other.Certificate.RawData)] };
        await AssertServerRefused(configuration);
    }

    [Fact]
    public async Task Without_a_CA_the_system_trust_store_decides_and_does_not_know_the_clusters()
    {
        await AssertServerRefused(Configuration() with { CertificateAuthorities = null });
    }

    [Fact]
    public async Task A_missing_intermediate_is_never_fetched_from_the_address_the_certificate_names()
    {
        // A server whose certificate comes from an intermediate it does not send, and names where that intermediate
        // can be fetched: an address that never answers, as one out of reach would.
        using var issuerSite = new UnansweringListener();
        using var root = CertificateAuthority.Create("api-root");
        using var intermediate = root.CreateIntermediate("api-intermediate");
        using var leaf = intermediate.IssueServerCertificate(["localhost"], [IPAddress.Loopback], issuerSite.Url("intermediate.crt"));
        using var server = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var serving = Task.Run(async () =>
        {
            // The leaf alone, built offline: this server never fetches, so any fetch seen is the client's.
            var context = SslStreamCertificateContext.Create(leaf, additionalCertificates: null, offline: true);
            using var connection = await server.AcceptTcpClientAsync();
            await using var tls = new SslStream(connection.GetStream());
            try { await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context }); }
            catch (Exception e) when (e is AuthenticationException or IOException) { } // the client refused it
        });
        try
        {
            var configuration = new ClusterAccess(new Uri($"https://127.0.0.1:{((IPEndPoint)server.LocalEndpoint).Port}"))
            {
                CertificateAuthorities = [X509CertificateLoader.LoadCertificate(root.Certificate.RawData)],
            };
            await AssertServerRefused(configuration);
            await serving.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, issuerSite.Visits);
        }
        finally
        {
            server.Stop();
        }
    }

    /// <summary>The TLS handshake failed on the client's side: the server's certificate was not trusted.</summary>
    private static async Task AssertServerRefused(ClusterAccess configuration)
    {
        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() => ReadDefaultNamespace(configuration));
        Assert.IsType<AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task Skipping_verification_trusts_any_server()
    {
        var configuration = Configuration() with { CertificateAuthorities = null, InsecureSkipTlsVerify = true };
        Assert.Equal("default", (await ReadDefaultNamespace(configuration))?.Metadata.Name);
    }

    [Fact]
    public void A_certificate_for_another_name_is_refused_even_from_the_configured_CA()
    {
        using var ca = CertificateAuthority.Create("cluster-ca");
        using var certificate = ca.IssueServerCertificate(["kubernetes"], []);
        X509Certificate2Collection authorities = [X509CertificateLoader.LoadCertificate(ca.Certificate.RawData)];
        Assert.True(KubeTransport.Verified(authorities, null, certificate, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(KubeTransport.Verified(authorities, null, certificate, null, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(KubeTransport.Verified(authorities, null, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public async Task With_tls_server_name_the_certificate_must_carry_that_name_rather_than_the_addresss()
    {
        // The emulator's certificate names localhost, kubernetes, kubernetes.default.svc and 127.0.0.1, not api.other.example.
        var configuration = Configuration();
        var byAddress = configuration with { Server = new UriBuilder(configuration.Server) { Host = "127.0.0.1" }.Uri };
        Assert.Equal("default", (await ReadDefaultNamespace(byAddress with { TlsServerName = "localhost" }))?.Metadata.Name);
        await AssertServerRefused(byAddress with { TlsServerName = "api.other.example" });

        using var ca = CertificateAuthority.Create("cluster-ca");
        using var certificate = ca.IssueServerCertificate(["kubernetes.default.svc"], []);
        X509Certificate2Collection authorities = [X509CertificateLoader.LoadCertificate(ca.Certificate.RawData)];
        // Reached by an address the certificate does not name, as tls-server-name is for.
        Assert.True(KubeTransport.Verified(authorities, "kubernetes.default.svc", certificate, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(KubeTransport.Verified(authorities, "api.other.example", certificate, null, SslPolicyErrors.None));
    }

    /// <summary>
    /// Requests and watches go over HTTP/2, as client-go sends them, when the server offers it over TLS (ALPN): one
    /// connection carries them all.
    /// </summary>
    [Fact]
    public async Task Requests_and_watches_go_over_http2()
    {
        _world.Server.Requests.Reset();
        using var api = new KubeApi(Configuration());
        Assert.NotNull(await api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None));
        var list = await api.ListPageAsync<V1Namespace>("api/v1/namespaces", null, null, null, CancellationToken.None);
        await foreach (var _ in api.WatchAsync<V1Namespace>("api/v1/namespaces", null, list.ResourceVersion, TimeSpan.FromSeconds(1), CancellationToken.None))
        {
        }
        var user = Assert.Single(_world.Server.Requests.Requests().Keys.Select(r => r.User).Distinct());
        Assert.Equal(new Dictionary<string, int> { ["HTTP/2"] = 3 }, _world.Server.Requests.ProtocolsOf(user));
    }

    /// <summary>
    /// Over HTTP/2 a request that times out resets only its own stream, so the connection stays in the pool, and every
    /// request after it goes to a connection that went silently dead (a vanished peer, a dropped NAT entry) until the
    /// keep-alive ping gives up on it. As client-go does, the ping goes out after 30 s without a frame and waits 15 s
    /// for its answer: the client is on a new connection within about 45 s, where KubernetesClient's settings took 3.5
    /// minutes.
    /// </summary>
    [Fact]
    public async Task A_connection_that_goes_silently_dead_is_given_up_within_a_minute()
    {
        var server = new Uri(_world.Server.BaseUrl);
        await using var relay = new FreezingTcpRelay(new IPEndPoint(IPAddress.Loopback, server.Port));
        var access = Configuration() with { Server = new UriBuilder(server) { Host = "127.0.0.1", Port = relay.Port }.Uri };
        using var api = new KubeApi(access, TimeSpan.FromSeconds(5), TimeProvider.System);
        Assert.NotNull(await api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None));

        relay.Freeze();
        var frozen = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Assert.NotNull(await api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None));
                break;
            }
            catch (Exception e) when (e is KubeApiTimeoutException or HttpRequestException)
            {
                Assert.True(frozen.Elapsed < TimeSpan.FromSeconds(75), $"still on the dead connection {frozen.Elapsed.TotalSeconds:0} s after it died: {e.Message}");
            }
        }
        Assert.Equal(2, relay.Accepted);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_by_the_server_as_unauthorized()
    {
        var configuration = Configuration() with { Credentials = KubeCredentials.Bearer("not-a-token") };
        var e = await Assert.ThrowsAsync<KubeApiException>(() => ReadDefaultNamespace(configuration));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.Status);
    }

    [Fact]
    public async Task Each_kind_of_credentials_gives_its_Authorization_header()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file\n");
            Assert.Equal(new AuthenticationHeaderValue("Bearer", "from-file"), await new TokenFileCredentials(file).AuthorizationAsync(CancellationToken.None));
            Assert.Equal(new AuthenticationHeaderValue("Bearer", "fixed"), await KubeCredentials.Bearer("fixed").AuthorizationAsync(CancellationToken.None));
            Assert.Equal(new AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:secret"u8.ToArray())),
                await KubeCredentials.Basic("admin", "secret").AuthorizationAsync(CancellationToken.None));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_token_the_request_carries_is_the_one_the_credentials_give_now()
    {
        var file = Path.GetTempFileName();
        try
        {
            // The clock stands still: only the 401 can make the file be read again.
            var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
            File.WriteAllText(file, "expired-token");
            var configuration = Configuration() with { Credentials = new TokenFileCredentials(file, time) };
            using var api = new KubeApi(configuration);
            var e = await Assert.ThrowsAsync<KubeApiException>(() => api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.Status);
            // The file was renewed; the 401 makes the next request read it again, before a minute has passed.
            File.WriteAllText(file, _world.Server.AdminToken);
            Assert.Equal("default", (await api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None))?.Metadata.Name);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("ftp://kubernetes/")]
    [InlineData("file:///var/run/kubernetes")]
    public void An_unusable_API_server_address_is_a_configuration_error_that_names_it(string host)
    {
        var e = Assert.Throws<KubeconfigException>(() => KubeTransport.Create(new ClusterAccess(new Uri(host))));
        Assert.Contains(host, e.Message);
    }

    [Fact]
    public void The_base_address_ends_in_a_slash_so_paths_resolve_under_a_prefix()
    {
        using var transport = KubeTransport.Create(new ClusterAccess(new Uri("https://gateway.example/clusters/east")) { InsecureSkipTlsVerify = true });
        Assert.Equal("https://gateway.example/clusters/east/api/v1/namespaces", new Uri(transport.BaseUri, "api/v1/namespaces").ToString());
    }

    [Fact]
    public void A_proxy_address_with_a_user_and_password_authenticates_to_the_proxy()
    {
        using var transport = KubeTransport.Create(new ClusterAccess(new Uri("https://kubernetes")) { Proxy = new Uri("http://ops:p%40ss:word@proxy.example:3128") });
        using var anonymous = KubeTransport.Create(new ClusterAccess(new Uri("https://kubernetes")) { Proxy = new Uri("http://proxy.example:3128") });

        var proxy = Assert.IsType<System.Net.WebProxy>(transport.Handler.Proxy);
        Assert.Equal("http://proxy.example:3128/", proxy.Address!.ToString());
        var credential = proxy.Credentials!.GetCredential(proxy.Address, "Basic")!;
        Assert.Equal(("ops", "p@ss:word"), (credential.UserName, credential.Password));
        Assert.Null(Assert.IsType<System.Net.WebProxy>(anonymous.Handler.Proxy).Credentials);
    }

    [Fact]
    public void The_client_certificate_is_presented_with_its_key()
    {
        using var ca = CertificateAuthority.Create("client-ca");
        using var issued = ca.IssueClientCertificate("operator", "system:masters");
        using var transport = KubeTransport.Create(new ClusterAccess(new Uri("https://kubernetes")) { ClientCertificate = issued });
        using var none = KubeTransport.Create(new ClusterAccess(new Uri("https://kubernetes")));

        var presented = Assert.IsType<X509Certificate2>(Assert.Single(transport.Handler.SslOptions.ClientCertificates!));
        Assert.Equal(issued.Thumbprint, presented.Thumbprint);
        Assert.True(presented.HasPrivateKey);
        Assert.Empty(none.Handler.SslOptions.ClientCertificates ?? []);
        Assert.Null(none.Credentials);
    }
}
