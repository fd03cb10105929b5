using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// How to reach and authenticate to one API server: what a kubeconfig's current context (<see cref="Kubeconfig"/>) or
/// a pod's service account (<see cref="InClusterAccess"/>) comes down to. <see cref="KubeTransport"/> turns it into a
/// connection.
/// </summary>
/// <param name="Server">The API server's address (http or https), possibly with a base path.</param>
public sealed record ClusterAccess(Uri Server)
{
    /// <summary>The roots the server's certificate must chain to; none, the system's trust store decides.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; init; }

    /// <summary>kubeconfig's <c>insecure-skip-tls-verify</c>: any server certificate is accepted.</summary>
    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>kubeconfig's <c>tls-server-name</c>: the name the server's certificate must carry, when it is not the address's host.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>kubeconfig's <c>proxy-url</c> (http, https or socks5).</summary>
    public Uri? Proxy { get; init; }

    /// <summary>The client certificate, with its private key, presented in the TLS handshake.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>What authenticates each request, when something does besides a client certificate.</summary>
    public KubeCredentials? Credentials { get; init; }

    /// <summary>The context's default namespace, if it names one.</summary>
    public string? Namespace { get; init; }
}
