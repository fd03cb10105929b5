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
