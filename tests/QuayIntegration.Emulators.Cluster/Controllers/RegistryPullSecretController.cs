using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// openshift-controller-manager's internal-registry pull secret controller (4.16+ behaviour): every service account
/// gets a <c>&lt;sa&gt;-dockercfg-xxxxx</c> secret of type <c>kubernetes.io/dockercfg</c> holding a token for the
/// integrated registry, listed in both its <c>secrets</c> and <c>imagePullSecrets</c>, with the SA annotation that
/// points at it. The lists are written in a later update of the service account, with its resourceVersion as a
/// precondition, and the entry is put back if someone drops it: exactly the concurrent writer of SA lists that the
/// operator has to live with.
/// </summary>
public sealed class RegistryPullSecretController(k8s.Kubernetes client, IReadOnlyList<string> registryHosts, TimeSpan delay, ILogger logger) : IClusterController
{
    public const string PullSecretRefAnnotation = "openshift.io/internal-registry-pull-secret-ref";
    public const string ServiceAccountAnnotation = "openshift.io/internal-registry-auth-token.service-account";
    public const string BindingAnnotation = "openshift.io/internal-registry-auth-token.binding";
    public const string DockerCfgType = "kubernetes.io/dockercfg";

    public string Name => "registry-pull-secrets";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<(string Namespace, string Name)>(Name, logger);
        var watch = ListWatches.ServiceAccounts(client).RunAsync((type, sa) =>
        {
            if (type != WatchEventType.Deleted && !HasPullSecretListed(sa))
            {
                queue.EnqueueAfter((sa.Metadata.NamespaceProperty, sa.Metadata.Name), delay, cancellationToken);
            }
        }, logger, cancellationToken);
        await Task.WhenAll(watch, queue.RunAsync(ReconcileAsync, workers: 2, cancellationToken));
    }

    private static bool HasPullSecretListed(V1ServiceAccount sa) =>
        sa.Metadata.Annotations is { } annotations && annotations.TryGetValue(PullSecretRefAnnotation, out var secret) && secret.Length > 0
        && (sa.Secrets?.Any(s => s.Name == secret) ?? false)
        && (sa.ImagePullSecrets?.Any(s => s.Name == secret) ?? false);

    private async Task<ReconcileResult> ReconcileAsync((string Namespace, string Name) key, CancellationToken cancellationToken)
    {
        var (ns, name) = key;
        try
        {
            var sa = await client.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: cancellationToken);
            if (HasPullSecretListed(sa))
            {
                return ReconcileResult.Done;
            }
            var secretName = await FindOrCreateSecretAsync(sa, cancellationToken);

            sa.Metadata.Annotations ??= new Dictionary<string, string>();
            sa.Metadata.Annotations[PullSecretRefAnnotation] = secretName;
            sa.Secrets ??= [];
            if (!sa.Secrets.Any(s => s.Name == secretName))
            {
                sa.Secrets.Add(new V1ObjectReference { Name = secretName });
            }
            sa.ImagePullSecrets ??= [];
            if (!sa.ImagePullSecrets.Any(s => s.Name == secretName))
            {
                sa.ImagePullSecrets.Add(new V1LocalObjectReference { Name = secretName });
            }
            // A PUT carries the resourceVersion just read: a concurrent writer makes this a 409, and we start over.
            await client.CoreV1.ReplaceNamespacedServiceAccountAsync(sa, name, ns, cancellationToken: cancellationToken);
            return ReconcileResult.Done;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return ReconcileResult.Done; // the service account or its namespace is gone or terminating
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return ReconcileResult.After(TimeSpan.Zero);
        }
    }

    private async Task<string> FindOrCreateSecretAsync(V1ServiceAccount sa, CancellationToken cancellationToken)
    {
        var ns = sa.Metadata.NamespaceProperty;
        var secrets = await client.CoreV1.ListNamespacedSecretAsync(ns, cancellationToken: cancellationToken);
        var existing = secrets.Items.FirstOrDefault(s => s.Type == DockerCfgType
            && s.Metadata.Annotations is { } annotations && annotations.TryGetValue(ServiceAccountAnnotation, out var owner) && owner == sa.Metadata.Name
            && s.Metadata.DeletionTimestamp is null);
        if (existing is not null)
        {
            return existing.Metadata.Name;
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var dockercfg = new JsonObject();
        foreach (var host in registryHosts)
        {
            dockercfg[host] = new JsonObject
            {
                ["username"] = "<token>",
                ["password"] = token,
                ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("<token>:" + token)),
            };
        }
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                GenerateName = $"{sa.Metadata.Name}-dockercfg-",
                NamespaceProperty = ns,
                Annotations = new Dictionary<string, string>
                {
                    [ServiceAccountAnnotation] = sa.Metadata.Name,
                    [BindingAnnotation] = "bound",
                },
                OwnerReferences =
                [
                    new V1OwnerReference { ApiVersion = "v1", Kind = "ServiceAccount", Name = sa.Metadata.Name, Uid = sa.Metadata.Uid, Controller = true },
                ],
            },
            Type = DockerCfgType,
            Data = new Dictionary<string, byte[]> { [".dockercfg"] = Encoding.UTF8.GetBytes(dockercfg.ToJsonString()) },
        };
        var created = await client.CoreV1.CreateNamespacedSecretAsync(secret, ns, cancellationToken: cancellationToken);
        logger.LogDebug("{Controller}: created {Namespace}/{Secret} for service account {ServiceAccount}", Name, ns, created.Metadata.Name, sa.Metadata.Name);
        return created.Metadata.Name;
    }
}
