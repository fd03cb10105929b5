using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// RBAC as kube-apiserver enforces it (plugin/pkg/auth/authorizer/rbac/rbac.go, k8s.io/apiserver request info and
/// responsewriters/errors.go): a user outside system:masters may do exactly what bindings grant, and a refusal is a
/// 403 Status worded as Kubernetes words it. Own server per test: bindings are cluster-wide state.
/// </summary>
public sealed class AuthorizationTests : IAsyncLifetime
{
    private const string SaUser = "system:serviceaccount:ops:robot";
    private readonly string _directory = Directory.CreateTempSubdirectory("k8s-rbac-").FullName;
    private KubernetesApiServer _server = null!;
    private k8s.Kubernetes _admin = null!;
    private k8s.Kubernetes _sa = null!;
    private HttpClient _saHttp = null!;

    public async Task InitializeAsync()
    {
        var options = new ApiServerOptions();
        options.Users["sa-token"] = ApiUser.ServiceAccount("ops", "robot");
        _server = await KubernetesApiServer.StartAsync(options);
        _admin = ClientFor(_server.AdminToken);
        _sa = ClientFor("sa-token");
        _saHttp = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, "sa-token");
        foreach (var ns in new[] { "ops", "app", "other" })
            await _admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await _admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "creds" } }, "app");
        await _admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "other" } }, "app");
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _sa.Dispose();
        _saHttp.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private k8s.Kubernetes ClientFor(string token)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".kubeconfig");
        _server.WriteKubeconfigForToken(path, token);
        return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
    }

    private Task GrantAsync(string ns, params V1PolicyRule[] rules) => GrantAsync(ns, "robot-role", rules);

    private async Task GrantAsync(string ns, string name, params V1PolicyRule[] rules)
    {
        await _admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role { Metadata = new V1ObjectMeta { Name = name }, Rules = rules }, ns);
        await _admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = name },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = name },
            // No namespace on the subject: a RoleBinding's service account defaults to the binding's namespace... which is
            // not "ops" here, so the namespace is given, as deploy/base/rbac.yaml does.
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "robot", NamespaceProperty = "ops" }],
        }, ns);
    }

    private static V1PolicyRule Rule(string group, string resource, params string[] verbs) =>
        new() { ApiGroups = [group], Resources = [resource], Verbs = verbs };

    private async Task<(int Code, JsonObject? Body)> SaSendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
        using var response = await _saHttp.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : null);
    }

    [Fact]
    public async Task A_user_without_bindings_gets_403_worded_as_kubernetes_words_it()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _sa.CoreV1.ReadNamespacedSecretAsync("creds", "app"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        var status = Objects.Status(e);
        Assert.Equal("Failure", (string?)status["status"]);
        Assert.Equal("Forbidden", (string?)status["reason"]);
        Assert.Equal(403, (int?)status["code"]);
        Assert.Equal($"secrets \"creds\" is forbidden: User \"{SaUser}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"app\"", (string?)status["message"]);
        Assert.Equal("""{"name":"creds","kind":"secrets"}""", status["details"]!.ToJsonString());

        e = await Assert.ThrowsAsync<HttpOperationException>(() => _sa.CoordinationV1.ListLeaseForAllNamespacesAsync());
        Assert.Equal($"leases.coordination.k8s.io is forbidden: User \"{SaUser}\" cannot list resource \"leases\" in API group \"coordination.k8s.io\" at the cluster scope",
            (string?)Objects.Status(e)["message"]);

        // The finalize subresource of a namespace is authorized in that namespace (request info puts it there).
        var (code, body) = await SaSendAsync(HttpMethod.Put, "/api/v1/namespaces/app/finalize", """{"metadata":{"name":"app"}}""");
        Assert.Equal(403, code);
        Assert.Equal($"namespaces \"app\" is forbidden: User \"{SaUser}\" cannot update resource \"namespaces/finalize\" in API group \"\" in the namespace \"app\"", (string?)body!["message"]);

        // Refusal comes before the server looks at what the URL names: a resource nobody serves is 403, not 404.
        (code, body) = await SaSendAsync(HttpMethod.Get, "/apis/nothing.example.com/v1/namespaces/app/widgets/w");
        Assert.Equal(403, code);
        Assert.Equal($"widgets.nothing.example.com \"w\" is forbidden: User \"{SaUser}\" cannot get resource \"widgets\" in API group \"nothing.example.com\" in the namespace \"app\"", (string?)body!["message"]);
        using var admin = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, _server.AdminToken);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/apis/nothing.example.com/v1/namespaces/app/widgets/w")).StatusCode);

        // Non-resource URLs: discovery is granted to every authenticated user (system:discovery); others are not.
        Assert.Equal(200, (await SaSendAsync(HttpMethod.Get, "/apis")).Code);
        Assert.Equal(200, (await SaSendAsync(HttpMethod.Get, "/api/v1")).Code);
        (code, body) = await SaSendAsync(HttpMethod.Get, "/metrics");
        Assert.Equal(403, code);
        Assert.Equal($"forbidden: User \"{SaUser}\" cannot get path \"/metrics\"", (string?)body!["message"]);

        // Refused requests are not served, so not accounted, but remembered as denials with their message.
        Assert.Empty(_server.Requests.ByUser(SaUser));
        Assert.Contains(_server.Requests.DenialsOf(SaUser), d => d is { Verb: "get", Resource: "secrets", Namespace: "app", Name: "creds" });
    }

    [Fact]
    public async Task A_role_binding_grants_exactly_its_verbs_in_its_namespace()
    {
        await GrantAsync("app", Rule("", "secrets", "get", "list"), Rule("", "configmaps", "create", "update"));

        await _sa.CoreV1.ReadNamespacedSecretAsync("creds", "app");
        await _sa.CoreV1.ListNamespacedSecretAsync("app");
        await Forbidden(() => _sa.CoreV1.ReadNamespacedSecretAsync("creds", "other")); // another namespace
        await Forbidden(() => _sa.CoreV1.ListSecretForAllNamespacesAsync());           // cluster scope
        // list does not imply watch; update does not imply patch; delete is not deletecollection.
        Assert.Equal(403, (await SaSendAsync(HttpMethod.Get, "/api/v1/namespaces/app/secrets?watch=true")).Code);
        await _sa.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "app");
        var cm = await _admin.CoreV1.ReadNamespacedConfigMapAsync("c", "app");
        await _sa.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "c", "app");
        var e = await Forbidden(() => _sa.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "c", "app"));
        Assert.Contains("cannot patch resource \"configmaps\"", (string?)Objects.Status(e)["message"]);
        await Forbidden(() => _sa.CoreV1.DeleteCollectionNamespacedSecretAsync("app"));
        e = await Forbidden(() => _sa.CoreV1.DeleteCollectionNamespacedConfigMapAsync("app"));
        Assert.Contains("cannot deletecollection resource \"configmaps\"", (string?)Objects.Status(e)["message"]);
    }

    [Fact]
    public async Task Resource_names_allow_named_requests_and_name_selected_lists_but_never_create_or_plain_lists()
    {
        await GrantAsync("app", new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], ResourceNames = ["creds"], Verbs = ["get", "list", "watch", "create", "delete"] });

        await _sa.CoreV1.ReadNamespacedSecretAsync("creds", "app");
        await Forbidden(() => _sa.CoreV1.ReadNamespacedSecretAsync("other", "app"));
        await Forbidden(() => _sa.CoreV1.ListNamespacedSecretAsync("app"));
        // A field selector pinning metadata.name makes the list (or watch) carry that name for authorization.
        var selected = await _sa.CoreV1.ListNamespacedSecretAsync("app", fieldSelector: "metadata.name=creds");
        Assert.Equal("creds", Assert.Single(selected.Items).Metadata.Name);
        Assert.Equal(200, (await SaSendAsync(HttpMethod.Get, "/api/v1/namespaces/app/secrets?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dcreds")).Code);
        await Forbidden(() => _sa.CoreV1.ListNamespacedSecretAsync("app", fieldSelector: "metadata.name=other"));
        await Forbidden(() => _sa.CoreV1.ListNamespacedSecretAsync("app", fieldSelector: "metadata.name!=other"));
        // Create has no name in the URL, so resourceNames can never allow it.
        await Forbidden(() => _sa.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "creds2" } }, "app"));
        await _sa.CoreV1.DeleteNamespacedSecretAsync("creds", "app");
    }

    [Fact]
    public async Task Subresources_need_rules_of_their_own_and_wildcards_match_as_in_kubernetes()
    {
        await _admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "ops");
        // "serviceaccounts" does not cover "serviceaccounts/token"; "*/status"-style rules cover only that subresource.
        await GrantAsync("ops", Rule("", "serviceaccounts", "get", "create"), Rule("", "*/status", "get"), Rule("", "namespaces", "get"));
        await _sa.CoreV1.ReadNamespacedServiceAccountAsync("robot", "ops");
        var e = await Forbidden(() => _sa.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [] } }, "robot", "ops"));
        Assert.Contains("cannot create resource \"serviceaccounts/token\"", (string?)Objects.Status(e)["message"]);
        await _sa.CoreV1.ReadNamespaceAsync("ops");              // namespace "ops" is in namespace "ops" for RBAC
        await _sa.CoreV1.ReadNamespaceStatusAsync("ops");        // */status
        await Forbidden(() => _sa.CoreV1.ReadNamespaceAsync("app"));

        // "serviceaccounts/*" is no wildcard for RBAC (evaluation_helpers.go ResourceMatches knows "*" and "*/token" only).
        await GrantAsync("ops", "star", Rule("", "serviceaccounts/*", "create"));
        await Forbidden(() => _sa.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [] } }, "robot", "ops"));
        await GrantAsync("ops", "tokens", Rule("", "serviceaccounts/token", "create"));
        await _sa.CoreV1.CreateNamespacedServiceAccountTokenAsync(new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [] } }, "robot", "ops");
    }

    [Fact]
    public async Task Cluster_role_bindings_grant_everywhere_role_bindings_to_a_cluster_role_only_in_their_namespace()
    {
        await _admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "secret-reader" },
            Rules = [Rule("", "secrets", "get")],
        });
        await _admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "read" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "secret-reader" },
            Subjects = [new Rbacv1Subject { Kind = "Group", Name = "system:serviceaccounts:ops" }],
        }, "app");
        await _sa.CoreV1.ReadNamespacedSecretAsync("creds", "app");
        await _admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "other");
        await Forbidden(() => _sa.CoreV1.ReadNamespacedSecretAsync("s", "other"));

        await _admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "read-all" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "secret-reader" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = SaUser }],
        });
        await _sa.CoreV1.ReadNamespacedSecretAsync("s", "other");

        // A binding to a missing role allows nothing, and the refusal says why (rbac.go appends the resolution errors).
        await _admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dangling" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "not-there" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = SaUser }],
        });
        var e = await Forbidden(() => _sa.CoreV1.ListNamespaceAsync());
        Assert.EndsWith("at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io \"not-there\" not found", (string?)Objects.Status(e)["message"]);

        // roleRef cannot change (validation.go ValidateRoleBindingUpdate).
        var binding = await _admin.RbacAuthorizationV1.ReadClusterRoleBindingAsync("dangling");
        binding.RoleRef.Name = "secret-reader";
        e = await Assert.ThrowsAsync<HttpOperationException>(() => _admin.RbacAuthorizationV1.ReplaceClusterRoleBindingAsync(binding, "dangling"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        Assert.Contains("cannot change roleRef", (string?)Objects.Status(e)["message"]);
    }

    [Fact]
    public async Task The_bootstrap_policy_is_there_and_system_masters_needs_no_binding()
    {
        var roles = (await _admin.RbacAuthorizationV1.ListClusterRoleAsync()).Items.Select(r => r.Metadata.Name).ToList();
        Assert.Superset(new HashSet<string> { "cluster-admin", "system:discovery", "system:basic-user", "system:public-info-viewer", "system:auth-delegator" }, roles.ToHashSet());
        var admin = await _admin.RbacAuthorizationV1.ReadClusterRoleBindingAsync("cluster-admin");
        Assert.Equal("system:masters", Assert.Single(admin.Subjects).Name);
        Assert.Equal("rbac-defaults", admin.Metadata.Labels["kubernetes.io/bootstrapping"]);
    }

    private static async Task<HttpOperationException> Forbidden(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.True(e.Response.StatusCode == HttpStatusCode.Forbidden, $"{(int)e.Response.StatusCode}: {e.Response.Content}");
        return e;
    }
}
