using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Authentication;
using k8s.Models;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Testing;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>
/// The connection <see cref="KubeApi"/> builds from a KubernetesClient configuration, over real TLS against the
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

    private KubernetesClientConfiguration Configuration() => KubernetesClientConfiguration.BuildConfigFromConfigFile(_kubeconfig);

    private static async Task<V1Namespace?> ReadDefaultNamespace(KubernetesClientConfiguration configuration)
    {
        using var api = new KubeApi(configuration);
        return await api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None);
    }

    [Fact]
    public async Task With_the_clusters_CA_the_server_is_trusted_and_the_token_accepted()
    {
        var configuration = Configuration();
        Assert.NotEmpty(configuration.SslCaCerts);
        Assert.Equal("default", (await ReadDefaultNamespace(configuration))?.Metadata.Name);
    }

    [Fact]
    public async Task A_server_certificate_from_another_CA_is_refused()
    {
        using var other = CertificateAuthority.Create("another-ca");
        var configuration = Configuration();
        configuration.SslCaCerts = [X509CertificateLoader.LoadCertificate(other.Certificate.RawData)];
        await AssertServerRefused(configuration);
    }

    [Fact]
    public async Task Without_a_CA_the_system_trust_store_decides_and_does_not_know_the_clusters()
    {
        var configuration = Configuration();
        configuration.SslCaCerts = null;
        await AssertServerRefused(configuration);
    }

    /// <summary>The TLS handshake failed on the client's side: the server's certificate was not trusted.</summary>
    private static async Task AssertServerRefused(KubernetesClientConfiguration configuration)
    {
        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() => ReadDefaultNamespace(configuration));
        Assert.IsType<AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task Skipping_verification_trusts_any_server()
    {
        var configuration = Configuration();
        configuration.SslCaCerts = null;
        configuration.SkipTlsVerify = true;
        Assert.Equal("default", (await ReadDefaultNamespace(configuration))?.Metadata.Name);
    }

    [Fact]
    public void A_certificate_for_another_name_is_refused_even_from_the_configured_CA()
    {
        using var ca = CertificateAuthority.Create("cluster-ca");
        using var certificate = ca.IssueServerCertificate(["kubernetes"], []);
        X509Certificate2Collection authorities = [X509CertificateLoader.LoadCertificate(ca.Certificate.RawData)];
        Assert.True(KubeTransport.IssuedBy(authorities, certificate, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(KubeTransport.IssuedBy(authorities, certificate, null, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(KubeTransport.IssuedBy(authorities, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public async Task A_wrong_token_is_refused_by_the_server_as_unauthorized()
    {
        var configuration = Configuration();
        configuration.AccessToken = "not-a-token";
        var e = await Assert.ThrowsAsync<KubeApiException>(() => ReadDefaultNamespace(configuration));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.Status);
    }

    [Fact]
    public async Task Each_request_carries_the_credentials_the_configuration_names()
    {
        using var fromProvider = KubeTransport.Create(new KubernetesClientConfiguration { Host = "https://kubernetes", TokenProvider = new StringTokenProvider("from-file", "Bearer") });
        using var fromToken = KubeTransport.Create(new KubernetesClientConfiguration { Host = "https://kubernetes", AccessToken = "fixed" });
        using var basic = KubeTransport.Create(new KubernetesClientConfiguration { Host = "https://kubernetes", Username = "admin", Password = "secret" });
        using var none = KubeTransport.Create(new KubernetesClientConfiguration { Host = "https://kubernetes" });

        Assert.Equal(new AuthenticationHeaderValue("Bearer", "from-file"), await AuthorizationOf(fromProvider));
        Assert.Equal(new AuthenticationHeaderValue("Bearer", "fixed"), await AuthorizationOf(fromToken));
        Assert.Equal(new AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:secret"u8.ToArray())), await AuthorizationOf(basic));
        Assert.Null(none.Credentials);
    }

    private static async Task<AuthenticationHeaderValue?> AuthorizationOf(KubeTransport transport)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(transport.BaseUri, "api"));
        await transport.Credentials!.ProcessHttpRequestAsync(request, CancellationToken.None);
        return request.Headers.Authorization;
    }

    [Theory]
    [InlineData("")]
    [InlineData("kubernetes:6443")]
    [InlineData("ftp://kubernetes")]
    public void An_unusable_API_server_address_is_a_configuration_error_that_names_it(string host)
    {
        var e = Assert.Throws<k8s.Exceptions.KubeConfigException>(() => KubeTransport.Create(new KubernetesClientConfiguration { Host = host }));
        if (host.Length > 0) Assert.Contains(host, e.Message);
    }

    [Fact]
    public void The_base_address_ends_in_a_slash_so_paths_resolve_under_a_prefix()
    {
        using var transport = KubeTransport.Create(new KubernetesClientConfiguration { Host = "https://gateway.example/clusters/east", SkipTlsVerify = true });
        Assert.Equal("https://gateway.example/clusters/east/api/v1/namespaces", new Uri(transport.BaseUri, "api/v1/namespaces").ToString());
    }

    [Fact]
    public void A_client_certificate_given_inline_or_as_files_is_presented_with_its_key()
    {
        using var ca = CertificateAuthority.Create("client-ca");
        using var issued = ca.IssueClientCertificate("operator", "system:masters");
        var certificatePem = issued.ExportCertificatePem();
        var keyPem = issued.GetRSAPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? issued.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        var directory = Directory.CreateTempSubdirectory("transport-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "tls.crt"), certificatePem);
            File.WriteAllText(Path.Combine(directory, "tls.key"), keyPem);
            static string Base64(string pem) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));
            using var inline = KubeTransport.Create(new KubernetesClientConfiguration
                { Host = "https://kubernetes", ClientCertificateData = Base64(certificatePem), ClientCertificateKeyData = Base64(keyPem) });
            using var files = KubeTransport.Create(new KubernetesClientConfiguration
                { Host = "https://kubernetes", ClientCertificateFilePath = Path.Combine(directory, "tls.crt"), ClientKeyFilePath = Path.Combine(directory, "tls.key") });
            using var certificateOnly = KubeTransport.Create(new KubernetesClientConfiguration { Host = "https://kubernetes", ClientCertificateData = Base64(certificatePem) });

            foreach (var transport in new[] { inline, files })
            {
                var presented = Assert.IsType<X509Certificate2>(Assert.Single(transport.Handler.SslOptions.ClientCertificates!));
                Assert.Equal(issued.Thumbprint, presented.Thumbprint);
                Assert.True(presented.HasPrivateKey);
            }
            Assert.Empty(certificateOnly.Handler.SslOptions.ClientCertificates ?? []);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
