using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace QuayIntegration.Emulators.Cluster.Builds;

/// <summary>
/// How openshift-controller-manager picks the push secret of a build that names none: among the docker secrets of the
/// build's service account, <c>imagePullSecrets</c> first, then <c>secrets</c>, the first whose registry entry matches
/// the output image; failing that, the first docker secret at all.
/// </summary>
public sealed class PushSecretResolver(IKubernetes client)
{
    public const string DefaultBuildServiceAccount = "builder";

    public async Task<string?> ResolveAsync(string ns, string? serviceAccountName, ImageReference output, CancellationToken cancellationToken)
    {
        V1ServiceAccount serviceAccount;
        try
        {
            serviceAccount = await client.CoreV1.ReadNamespacedServiceAccountAsync(
                string.IsNullOrEmpty(serviceAccountName) ? DefaultBuildServiceAccount : serviceAccountName, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var candidates = (serviceAccount.ImagePullSecrets ?? []).Select(s => s.Name)
            .Concat((serviceAccount.Secrets ?? []).Select(s => s.Name))
            .Where(n => !string.IsNullOrEmpty(n))
            .Distinct()
            .ToList();
        string? firstDockerSecret = null;
        foreach (var name in candidates)
        {
            V1Secret secret;
            try
            {
                secret = await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                continue;
            }
            if (!DockerCredentials.IsDockerSecret(secret))
            {
                continue;
            }
            if (DockerCredentials.HasEntryFor(secret, output))
            {
                return name;
            }
            firstDockerSecret ??= name;
        }
        return firstDockerSecret;
    }
}
