using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// Builds the world an earlier operator left behind (this operator's versions before the ownership record, or the Go
/// Quay Bridge Operator), object by object as that operator wrote it, through the same APIs.
/// </summary>
public static class LegacyWorld
{
    /// <summary>The Go operator's fixed service account → role matrix (controllers/namespace_controller.go).</summary>
    public static readonly (string Account, string Role)[] GoOperatorMatrix = [("builder", "write"), ("default", "read"), ("deployer", "read")];

    /// <summary>The organization as the Go operator set it up: a robot per service account of its matrix, without description or metadata, and a default permission each.</summary>
    /// <param name="adopt">The organization exists already (someone made it): the Go operator only adds its robots.</param>
    public static async Task GoOrganizationAsync(HttpClient quay, string org, bool adopt = false)
    {
        if (!adopt) await OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = org }));
        foreach (var (account, role) in GoOperatorMatrix)
        {
            await OkAsync(quay.PutAsJsonAsync($"api/v1/organization/{org}/robots/{account}", new { }));
            await OkAsync(quay.PostAsJsonAsync($"api/v1/organization/{org}/prototypes", new JsonObject
            {
                ["role"] = role,
                ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = $"{org}+{account}", ["robot"] = true, ["org_member"] = true },
            }));
        }
    }

    /// <summary>A repository as the Go operator created it for an ImageStream: private, with an empty description.</summary>
    public static Task GoRepositoryAsync(HttpClient quay, string org, string name) =>
        OkAsync(quay.PostAsJsonAsync("api/v1/repository", new { @namespace = org, repository = name, visibility = "private", description = "", repo_kind = "image" }));

    /// <summary>The namespace as the Go operator left it: its finalizer, none of this operator's annotations or labels.</summary>
    public static V1Namespace GoNamespace(string ns, IDictionary<string, string>? labels = null) =>
        new() { Metadata = new V1ObjectMeta { Name = ns, Labels = labels, Finalizers = ["quay.redhat.com/quayintegrations"] } };

    /// <summary>Its unlabelled Secret <c>&lt;sa&gt;-quay-&lt;clusterID&gt;</c> per robot, listed in the service account.</summary>
    public static async Task GoSecretsAsync(OperatorEnvironment env, string ns, string org, string clusterId)
    {
        foreach (var (account, _) in GoOperatorMatrix)
        {
            var token = env.Quay.State.Organization(org)!.Robots.Single(r => r.Name == $"{org}+{account}").Token;
            await env.Kube.CoreV1.CreateNamespacedSecretAsync(DockerConfigSecret(env, $"{account}-quay-{clusterId}", $"{org}+{account}", token), ns);
            await LinkAsync(env, ns, account, $"{account}-quay-{clusterId}");
        }
    }

    /// <summary>A <c>kubernetes.io/dockerconfigjson</c> Secret whose single <c>auths</c> entry holds <paramref name="user"/>'s token for the Quay host.</summary>
    public static V1Secret DockerConfigSecret(OperatorEnvironment env, string name, string user, string token) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Type = "kubernetes.io/dockerconfigjson",
        Data = new Dictionary<string, byte[]>
        {
            [".dockerconfigjson"] = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["auths"] = new JsonObject
                {
                    [env.Quay.RegistryHost] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}")) },
                },
            }.ToJsonString()),
        },
    };

    /// <summary>Lists the Secret in the service account's secrets and imagePullSecrets (once the account exists).</summary>
    public static Task LinkAsync(OperatorEnvironment env, string ns, string serviceAccount, string secretName) =>
        OperatorEnvironment.Eventually(async () =>
        {
            try
            {
                var account = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync(serviceAccount, ns);
                account.Secrets = [.. account.Secrets ?? [], new V1ObjectReference { Name = secretName }];
                account.ImagePullSecrets = [.. account.ImagePullSecrets ?? [], new V1LocalObjectReference { Name = secretName }];
                await env.Kube.CoreV1.ReplaceNamespacedServiceAccountAsync(account, serviceAccount, ns);
                return true;
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return false; // not created by the service-account controller yet, or changed meanwhile
            }
        }, $"service account {ns}/{serviceAccount} linked to {secretName}");

    /// <summary>
    /// Every write to Quay's v1 API that changed something (POST, PUT or DELETE answered 2xx), by route and status; a
    /// create refused because the object exists changed nothing.
    /// </summary>
    public static string[] SuccessfulApiWrites(OperatorEnvironment env) =>
        env.Quay.Calls.Snapshot().Where(c => c.Method is "POST" or "PUT" or "DELETE" && c.Status is >= 200 and < 300
                                             && c.Route.StartsWith("/api/v1", StringComparison.Ordinal))
            .Select(c => $"{c.Method} {c.Route} {c.Status} ×{c.Count}").Order(StringComparer.Ordinal).ToArray();

    public static async Task OkAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
