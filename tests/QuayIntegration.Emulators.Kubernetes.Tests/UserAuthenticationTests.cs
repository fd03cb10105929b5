using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// Several bearer tokens, each authenticated as its own user: admission sees the real userInfo, and request accounting
/// reads per user in RBAC's terms (verb, group, resource, subresource, namespace). Own server per test: accounting is global.
/// The users are bound to cluster-admin here (authorization itself: <see cref="AuthorizationTests"/>).
/// </summary>
public sealed class UserAuthenticationTests : IAsyncLifetime
{
    private const string OperatorUser = "system:serviceaccount:quay-integration:quay-integration";
    private readonly string _directory = Directory.CreateTempSubdirectory("k8s-users-").FullName;
    private KubernetesApiServer _server = null!;

    public async Task InitializeAsync()
    {
        var options = new ApiServerOptions();
        options.Users["sa-token"] = ApiUser.ServiceAccount("quay-integration", "quay-integration");
        _server = await KubernetesApiServer.StartAsync(options);
        using var admin = ClientFor(_server.AdminToken);
        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "test-users-are-admins" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "cluster-admin" },
            Subjects =
            [
                new Rbacv1Subject { Kind = "ServiceAccount", Name = "quay-integration", NamespaceProperty = "quay-integration" },
                new Rbacv1Subject { Kind = "Group", Name = "developers" },
            ],
        });
        _server.Requests.Reset();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private k8s.Kubernetes ClientFor(string token)
    {
        var path = Path.Combine(_directory, token + ".kubeconfig");
        _server.WriteKubeconfigForToken(path, token);
        return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
    }

    [Fact]
    public async Task Requests_are_accounted_per_user_with_the_kubernetes_verb_group_resource_subresource_and_namespace()
    {
        using var admin = ClientFor(_server.AdminToken);
        using var sa = ClientFor("sa-token");
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "app" } });

        await sa.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "app");
        await sa.CoreV1.ReadNamespacedConfigMapAsync("c", "app");
        await sa.CoreV1.ListConfigMapForAllNamespacesAsync();
        await sa.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":\"b\"}}", V1Patch.PatchType.MergePatch), "c", "app");
        await sa.CoreV1.ReplaceNamespacedConfigMapAsync(await sa.CoreV1.ReadNamespacedConfigMapAsync("c", "app"), "c", "app");
        await sa.CoreV1.DeleteNamespacedConfigMapAsync("c", "app");
        await sa.CoreV1.DeleteCollectionNamespacedConfigMapAsync("app");
        await sa.CoreV1.ReadNamespaceStatusAsync("app");
        await sa.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "l" } }, "app");
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            try
            {
                // The server's own timeout far beyond the client's: a server closing the stream first, at the same
                // second, made the client's read fail with an EndOfStream instead of the cancellation (seen in CI).
                using var watch = await sa.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("app", watch: true, timeoutSeconds: 30, cancellationToken: cts.Token);
            }
            catch (OperationCanceledException) { }
        }

        var mine = _server.Requests.ByUser(OperatorUser);
        RecordedRequest R(string verb, string group, string resource, string? sub, string? ns, string? name = null) => new(OperatorUser, verb, group, resource, sub, ns, name);
        Assert.Equal(
            new[]
            {
                R("create", "", "configmaps", null, "app"), R("get", "", "configmaps", null, "app", "c"), R("list", "", "configmaps", null, null),
                R("patch", "", "configmaps", null, "app", "c"), R("update", "", "configmaps", null, "app", "c"), R("delete", "", "configmaps", null, "app", "c"),
                R("deletecollection", "", "configmaps", null, "app"), R("get", "", "namespaces", "status", null, "app"),
                R("create", "coordination.k8s.io", "leases", null, "app"), R("watch", "", "secrets", null, "app"),
            }.OrderBy(r => r.ToString()),
            mine.Keys.OrderBy(r => r.ToString()));
        Assert.Equal(2, mine[R("get", "", "configmaps", null, "app", "c")]);
        Assert.Equal("namespaces/status", R("get", "", "namespaces", "status", null, "app").ResourcePath);
        // The admin's requests are its own; the verb/resource counters still count everyone.
        Assert.Equal([new RecordedRequest("system:admin", "create", "", "namespaces", null, null)], _server.Requests.ByUser("system:admin").Keys);
        Assert.Equal(2, _server.Requests.Count("get", "configmaps"));
    }

    [Fact]
    public async Task Unknown_or_missing_tokens_get_a_401_Status_and_users_added_at_runtime_authenticate()
    {
        using var stranger = ClientFor("nobody");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => stranger.CoreV1.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
        var status = JsonNode.Parse(e.Response.Content)!;
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("Failure", (string?)status["status"]);
        Assert.Equal("Unauthorized", (string?)status["reason"]);
        Assert.Equal("Unauthorized", (string?)status["message"]);
        Assert.Equal(401, (int?)status["code"]);

        using var anonymous = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/namespaces")).StatusCode);
        Assert.Empty(_server.Requests.Requests()); // refused before being served: nothing accounted

        _server.AddUser("nobody", "alice", "developers");
        var list = await stranger.CoreV1.ListNamespaceAsync();
        Assert.NotEmpty(list.Items);
        Assert.Single(_server.Requests.ByUser("alice"));
    }

    [Fact]
    public async Task Admission_reviews_carry_the_requesting_users_name_and_groups()
    {
        await using var hook = await TestWebhook.StartAsync("hook.test.svc");
        using var admin = ClientFor(_server.AdminToken);
        _server.AddUser("dev-token", "alice", "developers");
        using var alice = ClientFor("dev-token");
        using var sa = ClientFor("sa-token");
        var webhook = new V1MutatingWebhook
        {
            Name = "users.test.io",
            ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = hook.Url(), CaBundle = Convert.FromBase64String(hook.CaBundle) },
            Rules = [new V1RuleWithOperations { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["configmaps"] }],
            SideEffects = "None",
            AdmissionReviewVersions = ["v1"],
        };
        await admin.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration { Metadata = new V1ObjectMeta { Name = "users" }, Webhooks = [webhook] });

        JsonNode UserInfoOfLastReview() => hook.Reviews.Last()["request"]!["userInfo"]!;
        string[] Groups(JsonNode info) => info["groups"]!.AsArray().Select(g => (string)g!).ToArray();

        await sa.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "by-sa" } }, "default");
        Assert.Equal(OperatorUser, (string?)UserInfoOfLastReview()["username"]);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:quay-integration", "system:authenticated"], Groups(UserInfoOfLastReview()));

        await alice.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "by-alice" } }, "default");
        Assert.Equal("alice", (string?)UserInfoOfLastReview()["username"]);
        Assert.Equal(["developers", "system:authenticated"], Groups(UserInfoOfLastReview()));

        await admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "by-admin" } }, "default");
        Assert.Equal("system:admin", (string?)UserInfoOfLastReview()["username"]);
    }
}
