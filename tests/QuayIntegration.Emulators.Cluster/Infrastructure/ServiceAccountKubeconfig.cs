using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Emulators.Cluster.Infrastructure;

/// <summary>
/// A kubeconfig that authenticates as a service account, made the way an administrator makes one for a real cluster:
/// a bound token from the TokenRequest API (<c>kubectl create token &lt;sa&gt; --duration …</c>) asked for with the
/// admin's client, next to the cluster's CA. The token authenticates as
/// <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c> for as long as the service account exists, and is authorized by
/// RBAC like any other user.
/// </summary>
public static class ServiceAccountKubeconfig
{
    public static async Task<string> WriteAsync(k8s.Kubernetes admin, KubernetesApiServer apiServer, string ns, string serviceAccount, string path,
        TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        var request = new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec { Audiences = [], ExpirationSeconds = (long)(lifetime ?? TimeSpan.FromHours(24)).TotalSeconds },
        };
        var answer = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, serviceAccount, ns, cancellationToken: cancellationToken);
        apiServer.WriteKubeconfigForToken(path, answer.Status.Token, ns);
        return path;
    }
}
