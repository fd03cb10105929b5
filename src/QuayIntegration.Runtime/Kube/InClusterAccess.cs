using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// The API server as a pod reaches it, as client-go's <c>InClusterConfig</c> does: the address from
/// <c>KUBERNETES_SERVICE_HOST</c> and <c>KUBERNETES_SERVICE_PORT</c>, the service account's token (a projected
/// token the kubelet rotates, so it is read again as it changes: <see cref="TokenFileCredentials"/>) and the
/// cluster's CA from the service account mount.
/// </summary>
public static class InClusterAccess
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Running in a pod: both variables are set and the token is mounted.</summary>
    public static bool IsAvailable(string directory = ServiceAccountDirectory) =>
        Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 }
        && Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") is { Length: > 0 }
        && File.Exists(Path.Combine(directory, "token"));

    public static ClusterAccess Load(string directory = ServiceAccountDirectory, TimeProvider? time = null)
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
            throw new KubeconfigException("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
        // An IPv6 service address goes in brackets.
        var authority = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]:{port}" : $"{host}:{port}";
        if (!Uri.TryCreate($"https://{authority}", UriKind.Absolute, out var server))
            throw new KubeconfigException($"KUBERNETES_SERVICE_HOST '{host}' and KUBERNETES_SERVICE_PORT '{port}' make no URL");
        var credentials = new TokenFileCredentials(Path.Combine(directory, "token"), time ?? TimeProvider.System);
        return new ClusterAccess(server) { CertificateAuthorities = ClusterCa(Path.Combine(directory, "ca.crt")), Credentials = credentials };
    }

    /// <summary>The mounted CA; without one (client-go logs it and goes on), the system's trust store decides.</summary>
    private static X509Certificate2Collection? ClusterCa(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPem(File.ReadAllText(path));
            return authorities.Count > 0 ? authorities : null;
        }
        catch (CryptographicException e)
        {
            throw new KubeconfigException($"the cluster CA {path} is not PEM certificates ({e.Message})", e);
        }
    }
}
