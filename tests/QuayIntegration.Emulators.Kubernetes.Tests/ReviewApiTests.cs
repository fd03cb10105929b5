using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// The review APIs (authorization.k8s.io/v1 SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview;
/// authentication.k8s.io/v1 SelfSubjectReview, TokenReview) and the TokenRequest API, through KubernetesClient and
/// through real kubectl (<c>auth can-i</c>, <c>auth can-i --list</c>, <c>auth whoami</c>, <c>create token</c>).
/// </summary>
public sealed class ReviewApiTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("k8s-reviews-").FullName;
    private KubernetesApiServer _server = null!;
    private k8s.Kubernetes _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesApiServer.StartAsync();
        _admin = ClientFor(_server.AdminToken);
        await _admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "ops" } });
        await _admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "ops");
        await _admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "lease-keeper" },
            Rules = [new V1PolicyRule { ApiGroups = ["coordination.k8s.io"], Resources = ["leases"], Verbs = ["get", "update"], ResourceNames = ["mine"] }],
        }, "ops");
        await _admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "lease-keeper" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "lease-keeper" },
            // A service account subject without a namespace means the binding's namespace (rule.go appliesToUser).
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "robot" }],
        }, "ops");
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private string KubeconfigFor(string token)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".kubeconfig");
        _server.WriteKubeconfigForToken(path, token, "ops");
        return path;
    }

    private k8s.Kubernetes ClientFor(string token) => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigFor(token)));

    private async Task<string> RobotTokenAsync(int? seconds = null)
    {
        var answer = await _admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [], ExpirationSeconds = seconds } }, "robot", "ops");
        return answer.Status.Token;
    }

    [Fact]
    public async Task A_token_request_issues_a_token_that_authenticates_as_the_service_account_until_it_is_deleted()
    {
        var answer = await _admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [] } }, "robot", "ops");
        Assert.Equal(3600, answer.Spec.ExpirationSeconds);
        Assert.Equal(["https://kubernetes.default.svc"], answer.Spec.Audiences);
        Assert.InRange(answer.Status.ExpirationTimestamp!.Value, DateTime.UtcNow.AddMinutes(59), DateTime.UtcNow.AddMinutes(61));
        Assert.Equal(3, answer.Status.Token.Split('.').Length); // a JWT

        using var robot = ClientFor(answer.Status.Token);
        var review = await robot.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        var sa = await _admin.CoreV1.ReadNamespacedServiceAccountAsync("robot", "ops");
        Assert.Equal("system:serviceaccount:ops:robot", review.Status.UserInfo.Username);
        Assert.Equal(sa.Metadata.Uid, review.Status.UserInfo.Uid);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:ops", "system:authenticated"], review.Status.UserInfo.Groups);

        // Under 10 minutes is invalid (pkg/apis/authentication/validation).
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => RobotTokenAsync(seconds: 60));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        Assert.Contains("spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes", (string?)Objects.Status(e)["message"]);

        // A bound token dies with its service account (and a recreated one has another uid).
        await _admin.CoreV1.DeleteNamespacedServiceAccountAsync("robot", "ops");
        e = await Assert.ThrowsAsync<HttpOperationException>(() => robot.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview()));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
        await _admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "robot" } }, "ops");
        e = await Assert.ThrowsAsync<HttpOperationException>(() => robot.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview()));
        Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
    }

    [Fact]
    public async Task Self_subject_access_reviews_answer_for_the_caller_with_the_binding_that_allowed()
    {
        using var robot = ClientFor(await RobotTokenAsync());
        var allowed = await robot.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { NamespaceProperty = "ops", Verb = "update", Group = "coordination.k8s.io", Resource = "leases", Name = "mine" } },
        });
        Assert.True(allowed.Status.Allowed);
        Assert.Equal("RBAC: allowed by RoleBinding \"lease-keeper/ops\" of Role \"lease-keeper\" to ServiceAccount \"robot/ops\"", allowed.Status.Reason);

        var denied = await robot.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { NamespaceProperty = "ops", Verb = "update", Group = "coordination.k8s.io", Resource = "leases", Name = "theirs" } },
        });
        Assert.False(denied.Status.Allowed);
        Assert.Null(denied.Status.Reason);

        var discovery = await robot.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { NonResourceAttributes = new V1NonResourceAttributes { Path = "/apis/apps", Verb = "get" } },
        });
        Assert.True(discovery.Status.Allowed);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"", discovery.Status.Reason);

        // Exactly one of resourceAttributes and nonResourceAttributes (validation.go).
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => robot.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview { Spec = new V1SelfSubjectAccessReviewSpec() }));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        Assert.Contains("exactly one of nonResourceAttributes or resourceAttributes must be specified", (string?)Objects.Status(e)["message"]);
    }

    [Fact]
    public async Task Subject_access_and_token_reviews_need_the_auth_delegator_rights()
    {
        using var robot = ClientFor(await RobotTokenAsync());
        var sar = new V1SubjectAccessReview
        {
            Spec = new V1SubjectAccessReviewSpec
            {
                User = "system:serviceaccount:ops:robot", Groups = ["system:serviceaccounts", "system:authenticated"],
                ResourceAttributes = new V1ResourceAttributes { NamespaceProperty = "ops", Verb = "get", Group = "coordination.k8s.io", Resource = "leases", Name = "mine" },
            },
        };
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => robot.AuthorizationV1.CreateSubjectAccessReviewAsync(sar));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Equal("subjectaccessreviews.authorization.k8s.io is forbidden: User \"system:serviceaccount:ops:robot\" cannot create resource \"subjectaccessreviews\" in API group \"authorization.k8s.io\" at the cluster scope",
            (string?)Objects.Status(e)["message"]);

        Assert.True((await _admin.AuthorizationV1.CreateSubjectAccessReviewAsync(sar)).Status.Allowed);
        sar.Spec.ResourceAttributes.Verb = "delete";
        Assert.False((await _admin.AuthorizationV1.CreateSubjectAccessReviewAsync(sar)).Status.Allowed);
        e = await Assert.ThrowsAsync<HttpOperationException>(() => _admin.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
        {
            Spec = new V1SubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = "get", Resource = "pods" } },
        }));
        Assert.Contains("at least one of user or group must be specified", (string?)Objects.Status(e)["message"]);

        await _admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "robot-delegator" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "system:auth-delegator" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "robot", NamespaceProperty = "ops" }],
        });
        var token = await RobotTokenAsync();
        var review = await robot.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } });
        Assert.True(review.Status.Authenticated);
        Assert.Equal("system:serviceaccount:ops:robot", review.Status.User.Username);
        Assert.Equal(["https://kubernetes.default.svc"], review.Status.Audiences);
        var unknown = await robot.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = "not-a-token" } });
        Assert.False(unknown.Status.Authenticated);
        Assert.Null(unknown.Status.User);
        e = await Assert.ThrowsAsync<HttpOperationException>(() => robot.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = "" } }));
        Assert.Equal(HttpStatusCode.BadRequest, e.Response.StatusCode);
    }

    [Fact]
    public async Task Kubectl_auth_can_i_whoami_and_create_token_work_as_against_a_real_cluster()
    {
        var admin = new Kubectl(Kubectl.Locate(), KubeconfigFor(_server.AdminToken), Path.Combine(_directory, "cache-admin"));
        var token = (await admin.OkAsync("create token robot -n ops --duration 20m")).Trim();
        var robot = new Kubectl(Kubectl.Locate(), KubeconfigFor(token), Path.Combine(_directory, "cache-robot"));

        Assert.Equal("yes", (await robot.OkAsync("auth can-i update leases.coordination.k8s.io/mine -n ops")).Trim());
        var (exit, stdout, _) = await robot.RunAsync("auth can-i update leases.coordination.k8s.io/theirs -n ops");
        Assert.Equal(1, exit);
        Assert.Equal("no", stdout.Trim());
        (exit, stdout, _) = await robot.RunAsync("auth can-i list secrets --all-namespaces");
        Assert.Equal(1, exit);
        Assert.Equal("yes", (await admin.OkAsync("auth can-i '*' '*' --all-namespaces")).Trim());
        var list = await robot.OkAsync("auth can-i --list -n ops");
        Assert.Matches(@"leases\.coordination\.k8s\.io\s+\[\]\s+\[mine\]\s+\[get update\]", list);
        Assert.Matches(@"selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]", list);

        var whoami = await robot.OkAsync("auth whoami");
        Assert.Matches(@"Username\s+system:serviceaccount:ops:robot", whoami);
        Assert.Matches(@"Groups\s+\[system:serviceaccounts system:serviceaccounts:ops system:authenticated\]", whoami);
        Assert.Matches(@"Username\s+system:admin", await admin.OkAsync("auth whoami"));

        (exit, _, var stderr) = await robot.RunAsync("get secrets -n ops");
        Assert.NotEqual(0, exit);
        Assert.Contains("Error from server (Forbidden): secrets is forbidden: User \"system:serviceaccount:ops:robot\" cannot list resource \"secrets\" in API group \"\" in the namespace \"ops\"", stderr);
    }

    /// <summary>
    /// kubectl --as (Impersonate-User): the admin asks, and acts, as the service account, with its groups; it was answered
    /// as the admin, "yes" to everything. Someone without the impersonate right is refused (impersonation.go).
    /// </summary>
    [Fact]
    public async Task Kubectl_as_acts_as_the_impersonated_user_and_needs_the_right_to_impersonate()
    {
        var admin = new Kubectl(Kubectl.Locate(), KubeconfigFor(_server.AdminToken), Path.Combine(_directory, "cache-admin"));
        const string AsRobot = "--as=system:serviceaccount:ops:robot";
        Assert.Equal("yes", (await admin.OkAsync($"auth can-i update leases.coordination.k8s.io/mine -n ops {AsRobot}")).Trim());
        var (exit, stdout, _) = await admin.RunAsync($"auth can-i delete nodes {AsRobot}");
        Assert.Equal((1, "no"), (exit, stdout.Trim()));
        Assert.Matches(@"Groups\s+\[system:serviceaccounts system:serviceaccounts:ops system:authenticated\]", await admin.OkAsync($"auth whoami {AsRobot}"));
        (exit, _, var stderr) = await admin.RunAsync($"get secrets -n ops {AsRobot}");
        Assert.NotEqual(0, exit);
        Assert.Contains("User \"system:serviceaccount:ops:robot\" cannot list resource \"secrets\"", stderr);
        Assert.Matches(@"Groups\s+\[devs system:authenticated\]", await admin.OkAsync("auth whoami --as=alice --as-group=devs"));
        // A service account impersonated with groups gets those, not its own (impersonation.go).
        Assert.Matches(@"Groups\s+\[devs system:authenticated\]", await admin.OkAsync($"auth whoami {AsRobot} --as-group=devs"));

        var token = (await admin.OkAsync("create token robot -n ops --duration 20m")).Trim();
        var robot = new Kubectl(Kubectl.Locate(), KubeconfigFor(token), Path.Combine(_directory, "cache-robot"));
        (exit, _, stderr) = await robot.RunAsync("auth can-i delete nodes --as=system:admin");
        Assert.NotEqual(0, exit);
        Assert.Contains("users \"system:admin\" is forbidden: User \"system:serviceaccount:ops:robot\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", stderr);
    }
}
