using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Net;
using QuayIntegration.Runtime.Tls;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// The connection to the API server a <see cref="ClusterAccess"/> describes (kubeconfig or in-cluster): its address,
/// the HTTP handler that verifies the server and presents the client certificate, and the credentials each request
/// carries.
/// </summary>
/// <remarks>
/// The handler's settings are those KubernetesClient chooses, but for the HTTP/2 keep-alive ping, timed as
/// client-go's. With a CA in the configuration, only that CA is trusted, as kubectl and client-go do (KubernetesClient
/// also accepts a certificate the system's trust store vouches for), and <c>tls-server-name</c> is the name the
/// server's certificate must carry. Unlike client-go, the name sent
/// in the handshake (SNI) stays the address's host: SocketsHttpHandler takes it from the request, so a server that
/// chooses its certificate by SNI must be reached by a name it knows.
/// </remarks>
public sealed class KubeTransport : IDisposable
{
    private KubeTransport(Uri baseUri, SocketsHttpHandler handler, KubeCredentials? credentials)
    {
        BaseUri = baseUri;
        Handler = handler;
        Credentials = credentials;
    }

    /// <summary>The API server's address, ending in a slash, so relative paths resolve under it.</summary>
    public Uri BaseUri { get; }

    public SocketsHttpHandler Handler { get; }

    /// <summary>What authenticates each request; null when the configuration names none (a client certificate alone, or nothing).</summary>
    public KubeCredentials? Credentials { get; }

    public static KubeTransport Create(ClusterAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        var server = access.Server;
        if (!server.IsAbsoluteUri || server.Scheme is not ("https" or "http"))
            throw new KubeconfigException($"the API server address '{server}' is not an http or https URL");
        var baseUri = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");

        var handler = new SocketsHttpHandler
        {
            // Over HTTP/2 a request that times out resets only its stream and leaves the connection in the pool, so a
            // connection that went silently dead is given up only when a keep-alive ping goes unanswered. client-go's
            // timing (a ping after 30 s without a frame, 15 s to answer it) rather than KubernetesClient's 3 min + 30 s.
            // client-go pings idle connections too; here only those with requests open, which, with the informers'
            // watches always open, is every connection the operator uses.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
            // More than one connection when one holds as many streams as the server allows (100 by default).
            EnableMultipleHttp2Connections = true,
        };
        if (access.Proxy is { } proxy)
        {
            var webProxy = new WebProxy(new UriBuilder(proxy) { UserName = "", Password = "" }.Uri);
            // http://user:password@proxy:3128, as Go's transport reads it (WebProxy itself ignores the user info).
            if (proxy.UserInfo is { Length: > 0 } userInfo)
            {
                var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
                webProxy.Credentials = colon < 0
                    ? new NetworkCredential(Uri.UnescapeDataString(userInfo), "")
                    : new NetworkCredential(Uri.UnescapeDataString(userInfo[..colon]), Uri.UnescapeDataString(userInfo[(colon + 1)..]));
            }
            handler.Proxy = webProxy;
            handler.UseProxy = true;
        }
        if (baseUri.Scheme == "https")
        {
            handler.SslOptions.CertificateChainPolicy = TrustAnchors.Offline();
            // insecure-skip-tls-verify: the configuration's explicit choice, as kubectl honours it.
#pragma warning disable CA5359
            if (access.InsecureSkipTlsVerify) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
            else if (access.CertificateAuthorities is { Count: > 0 } || access.TlsServerName is not null)
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    Verified(access.CertificateAuthorities, access.TlsServerName, certificate, chain, errors);
            if (access.ClientCertificate is { } clientCertificate)
                handler.SslOptions.ClientCertificates = [clientCertificate];
        }
        return new KubeTransport(baseUri, handler, access.Credentials);
    }

    /// <summary>
    /// The server's certificate names the host asked for (or <paramref name="serverName"/>, when the configuration
    /// names the one to expect) and chains up to one of <paramref name="authorities"/>, the system's trust store
    /// playing no part, or, with no authorities, to the system's trust store as TLS judged it.
    /// </summary>
    internal static bool Verified(X509Certificate2Collection? authorities, string? serverName, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is not X509Certificate2 leaf || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
        if (serverName is not null)
        {
            // Subject alternative names only, as Go checks them.
            if (!leaf.MatchesHostname(serverName, allowWildcards: true, allowCommonName: false)) return false;
        }
        else if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        if (authorities is not { Count: > 0 }) return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0;
        return TrustAnchors.Chains(leaf, authorities, presented);
    }

    public void Dispose() => Handler.Dispose();
}
