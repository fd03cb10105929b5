using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Testing.Core.Tests;

/// <summary><see cref="CertificateAuthority"/> through real TLS handshakes on 127.0.0.1.</summary>
public sealed class CertificateAuthorityTests
{
    [Fact]
    public async Task A_client_trusting_exactly_the_ca_accepts_its_server_certificate_by_ip_and_by_name()
    {
        using var ca = CertificateAuthority.Create("test CA");
        using var server = ca.IssueServerCertificate(["localhost", "kubernetes.default.svc"], [IPAddress.Loopback]);
        Assert.True(await HandshakeAsync(server, "127.0.0.1", ca.Validate));
        Assert.True(await HandshakeAsync(server, "kubernetes.default.svc", ca.Validate));
        // A client that holds only the CA's PEM (a caBundle) validates the same way.
        using var fromPem = X509Certificate2.CreateFromPem(ca.CertificatePem);
        Assert.True(await HandshakeAsync(server, "localhost", (certificate, _, errors) => CertificateAuthority.Validate(fromPem, certificate, errors)));
    }

    [Fact]
    public async Task Another_ca_and_another_name_are_refused()
    {
        using var ca = CertificateAuthority.Create("test CA");
        using var stranger = CertificateAuthority.Create("test CA"); // same name, other key
        using var server = ca.IssueServerCertificate(["localhost"], [IPAddress.Loopback]);
        Assert.False(await HandshakeAsync(server, "127.0.0.1", stranger.Validate));
        Assert.False(await HandshakeAsync(server, "quay.example.com", ca.Validate));
        Assert.False(ca.Validate(null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void The_issued_certificate_is_a_server_certificate_for_exactly_the_names_and_addresses_within_the_ca_validity()
    {
        using var ca = CertificateAuthority.Create("test CA", TimeSpan.FromDays(2));
        using var server = ca.IssueServerCertificate(["localhost", "quay.local"], [IPAddress.Loopback, IPAddress.IPv6Loopback]);
        Assert.True(server.HasPrivateKey);
        Assert.Equal("CN=localhost", server.Subject);
        Assert.Equal(ca.Certificate.Subject, server.Issuer);
        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost", "quay.local"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        Assert.Contains(server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
        Assert.False(server.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.True(server.NotAfter <= ca.Certificate.NotAfter);
        Assert.True(ca.Certificate.NotAfter < DateTime.Now.AddDays(3));

        using var byAddress = ca.IssueServerCertificate([], [IPAddress.Loopback]);
        Assert.Equal("CN=127.0.0.1", byAddress.Subject);
        Assert.Throws<ArgumentException>(() => ca.IssueServerCertificate([], []));
    }

    [Fact]
    public void The_client_certificate_names_the_user_and_groups_for_client_authentication_only()
    {
        using var ca = CertificateAuthority.Create("test CA");
        using var client = ca.IssueClientCertificate("system:node:worker-1", "system:nodes", "team-a");
        Assert.True(client.HasPrivateKey);
        Assert.Equal("system:node:worker-1", client.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Equal(["system:nodes", "team-a"], client.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(n => n.GetSingleElementType().Value == "2.5.4.10").Select(n => n.GetSingleElementValue()));
        var usages = client.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToList();
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], usages); // clientAuth, and not serverAuth
        Assert.Empty(client.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.True(CertificateAuthority.Validate(ca.Certificate, client, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Throws<ArgumentException>(() => ca.IssueClientCertificate(""));
    }

    [Fact]
    public async Task A_server_requiring_client_certificates_accepts_the_client_certificate_and_not_a_server_certificate()
    {
        using var ca = CertificateAuthority.Create("test CA");
        using var server = ca.IssueServerCertificate(["localhost"], [IPAddress.Loopback]);
        using var client = ca.IssueClientCertificate("alice", "developers");
        Assert.True(await MutualHandshakeAsync(server, client, ca));
        // A server certificate of the same CA is no client certificate: its extended key usage is serverAuth alone.
        using var wrongPurpose = ca.IssueServerCertificate(["alice"], []);
        Assert.False(await MutualHandshakeAsync(server, wrongPurpose, ca));
        using var stranger = CertificateAuthority.Create("test CA");
        using var strangersClient = stranger.IssueClientCertificate("alice");
        Assert.False(await MutualHandshakeAsync(server, strangersClient, ca));
    }

    [Fact]
    public void The_pems_give_the_ca_back_with_a_key_that_signs_for_it()
    {
        using var ca = CertificateAuthority.Create("signer CA");
        Assert.False(ca.Certificate.HasPrivateKey);
        using var restored = X509Certificate2.CreateFromPem(ca.CertificatePem, ca.KeyPem);
        Assert.Equal(ca.Certificate.Thumbprint, restored.Thumbprint);
        Assert.True(restored.HasPrivateKey);

        // What the emulated cluster's CSR signer does with them: issue a certificate that chains to the CA.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=client", key, HashAlgorithmName.SHA256);
        using var issued = request.Create(restored, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3]);
        Assert.True(CertificateAuthority.Validate(ca.Certificate, issued, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void An_issued_certificate_is_written_as_pem_files_a_server_loads_back_with_its_key()
    {
        using var ca = CertificateAuthority.Create("test CA");
        using var server = ca.IssueServerCertificate(["metrics.svc"], []);
        var directory = Directory.CreateTempSubdirectory("testing-core-").FullName;
        try
        {
            CertificateAuthority.WritePemFiles(server, Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));
            using var loaded = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));
            Assert.Equal(server.Thumbprint, loaded.Thumbprint);
            Assert.True(loaded.HasPrivateKey);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        using var publicOnly = X509CertificateLoader.LoadCertificate(server.RawData);
        Assert.Throws<ArgumentException>(() => CertificateAuthority.WritePemFiles(publicOnly, "unused.crt", "unused.key"));
    }

    /// <summary>
    /// A mutual TLS handshake on 127.0.0.1: whether a server that requires a client certificate chaining to
    /// <paramref name="ca"/> and issued for client authentication accepted <paramref name="clientCertificate"/>.
    /// </summary>
    private static async Task<bool> MutualHandshakeAsync(X509Certificate2 serverCertificate, X509Certificate2 clientCertificate, CertificateAuthority ca)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await listener.AcceptTcpClientAsync();
        var accept = false;
        await using var serverStream = new SslStream(accepted.GetStream(), false, (_, certificate, chain, errors) =>
            accept = ca.Validate(certificate, chain, errors) && IsForClientAuthentication(certificate!));
        await using var clientStream = new SslStream(client.GetStream(), false, (_, certificate, chain, errors) => ca.Validate(certificate, chain, errors));
        var serverSide = serverStream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = serverCertificate,
            ClientCertificateRequired = true,
        });
        try
        {
            await clientStream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = [clientCertificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
            });
            await serverSide.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return false;
        }
        finally
        {
            client.Close();
            try { await serverSide.WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (Exception e) when (e is AuthenticationException or IOException) { }
        }
        return accept;
    }

    private static bool IsForClientAuthentication(X509Certificate certificate)
    {
        using var certificate2 = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return certificate2.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.2"));
    }

    /// <summary>A TLS handshake on 127.0.0.1: whether the client, asking for <paramref name="host"/>, accepted <paramref name="serverCertificate"/>.</summary>
    private static async Task<bool> HandshakeAsync(X509Certificate2 serverCertificate, string host, Func<X509Certificate?, X509Chain?, SslPolicyErrors, bool> validate)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await listener.AcceptTcpClientAsync();
        await using var serverStream = new SslStream(accepted.GetStream());
        await using var clientStream = new SslStream(client.GetStream(), false, (_, certificate, chain, errors) => validate(certificate, chain, errors));
        var serverSide = serverStream.AuthenticateAsServerAsync(serverCertificate, false, SslProtocols.None, false);
        try
        {
            await clientStream.AuthenticateAsClientAsync(host);
        }
        catch (AuthenticationException)
        {
            return false;
        }
        finally
        {
            client.Close(); // a refused handshake leaves the server side waiting otherwise
            try { await serverSide.WaitAsync(TimeSpan.FromSeconds(10)); }
            catch (Exception e) when (e is AuthenticationException or IOException) { }
        }
        return true;
    }
}
