using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Authentication;
using k8s.Exceptions;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// The connection to the API server a <see cref="KubernetesClientConfiguration"/> describes (kubeconfig or in-cluster):
/// its address, the HTTP handler that verifies the server and presents the client certificate, and the credentials
/// each request carries (a bearer token, refreshed from its file or plugin by KubernetesClient's token providers, or
/// basic authentication).
/// </summary>
/// <remarks>
/// Built here rather than by constructing <c>k8s.Kubernetes</c>, which sets up the same handler but is the client of
/// every API of Kubernetes: constructing it costs about 25 ms and 6 MB at start, and keeps all of its operations in
/// a trimmed or Native AOT build. The handler's settings are those KubernetesClient chooses. One difference, on
/// purpose: with a CA in the configuration, only that CA is trusted, as kubectl and client-go do; KubernetesClient
/// also accepts a certificate the system's trust store vouches for.
/// </remarks>
public sealed class KubeTransport : IDisposable
{
    private KubeTransport(Uri baseUri, SocketsHttpHandler handler, ServiceClientCredentials? credentials)
    {
        BaseUri = baseUri;
        Handler = handler;
        Credentials = credentials;
    }

    /// <summary>The API server's address, ending in a slash, so relative paths resolve under it.</summary>
    public Uri BaseUri { get; }

    public SocketsHttpHandler Handler { get; }

    /// <summary>What authenticates each request; null when the configuration names none (a client certificate alone, or nothing).</summary>
    public ServiceClientCredentials? Credentials { get; }

    public static KubeTransport Create(KubernetesClientConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration.Host)) throw new KubeConfigException("the configuration names no API server (host)");
        if (!Uri.TryCreate(configuration.Host.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("https" or "http"))
            throw new KubeConfigException($"the API server address '{configuration.Host}' is not an http or https URL");

        var handler = new SocketsHttpHandler
        {
            // KubernetesClient's choices: long-lived HTTP/2 connections are pinged while requests (watches) are open.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = TimeSpan.FromMinutes(3),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        };
        if (baseUri.Scheme == "https")
        {
            // insecure-skip-tls-verify: the configuration's explicit choice, as kubectl honours it.
#pragma warning disable CA5359
            if (configuration.SkipTlsVerify) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
            else if (configuration.SslCaCerts is { Count: > 0 } authorities)
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => IssuedBy(authorities, certificate, chain, errors);
            if (ClientCertificateOf(configuration) is { } clientCertificate)
                handler.SslOptions.ClientCertificates = [clientCertificate];
        }
        return new KubeTransport(baseUri, handler, CredentialsOf(configuration));
    }

    /// <summary>
    /// The server's certificate chains up to one of the configured authorities and names the host asked for. The
    /// system's trust store plays no part: the configuration's CA is the one the cluster's certificates come from.
    /// </summary>
    internal static bool IssuedBy(X509Certificate2Collection authorities, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is not X509Certificate2 leaf || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
            return false;
        // The chain TLS built holds the intermediates the server sent; it is built again against the configured roots only.
        using var chain = new X509Chain();
        if (presented is not null) chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    /// <summary>The client certificate and key, each given inline (base64 of PEM, as in a kubeconfig) or as a file; null unless both are.</summary>
    internal static X509Certificate2? ClientCertificateOf(KubernetesClientConfiguration configuration)
    {
        var certificate = Pem(configuration.ClientCertificateData, configuration.ClientCertificateFilePath);
        var key = Pem(configuration.ClientCertificateKeyData, configuration.ClientKeyFilePath);
        return certificate is null || key is null ? null : X509Certificate2.CreateFromPem(certificate, key);
    }

    private static string? Pem(string? base64, string? path) =>
        !string.IsNullOrEmpty(base64) ? Encoding.UTF8.GetString(Convert.FromBase64String(base64))
        : !string.IsNullOrEmpty(path) ? File.ReadAllText(path)
        : null;

    /// <summary>As KubernetesClient chooses: a token provider (in-cluster token file, exec plugin), a fixed token, or a user and password.</summary>
    private static ServiceClientCredentials? CredentialsOf(KubernetesClientConfiguration configuration)
    {
        if (configuration.TokenProvider is { } provider) return new TokenCredentials(provider);
        if (!string.IsNullOrEmpty(configuration.AccessToken)) return new TokenCredentials(configuration.AccessToken);
        if (!string.IsNullOrEmpty(configuration.Username))
            return new BasicAuthenticationCredentials { UserName = configuration.Username, Password = configuration.Password };
        return null;
    }

    public void Dispose() => Handler.Dispose();
}
