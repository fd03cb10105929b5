using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// openshift-apiserver's BuildByStrategy admission plugin (pkg/build/apiserver/admission/strategyrestrictions) and the
/// bootstrap roles it relies on: a user who may write Builds may still not use every strategy. The service account
/// here has full rights on builds and buildconfigs in its namespace through RBAC, so every 403 below is the plugin's.
/// Own server per test: the tests change cluster-wide bindings.
/// </summary>
public sealed class BuildStrategyAdmissionTests : IAsyncLifetime
{
    private const string Ns = "app";
    private const string Builds = $"/apis/build.openshift.io/v1/namespaces/{Ns}/builds";
    private const string BuildConfigs = $"/apis/build.openshift.io/v1/namespaces/{Ns}/buildconfigs";
    private KubernetesApiServer _server = null!;
    private HttpClient _admin = null!;
    private HttpClient _sa = null!;
    private k8s.Kubernetes _adminClient = null!;

    public async Task InitializeAsync()
    {
        var options = new ApiServerOptions();
        options.Users["sa-token"] = ApiUser.ServiceAccount(Ns, "robot");
        _server = await KubernetesApiServer.StartAsync(options);
        _admin = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, _server.AdminToken);
        _sa = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, "sa-token");
        var path = Path.Combine(Path.GetTempPath(), $"build-strategy-{Guid.NewGuid():N}.kubeconfig");
        _server.WriteKubeconfig(path);
        _adminClient = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
        File.Delete(path);
        await _adminClient.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        await BindAsync("robot-builds", "Role", new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "robot-builds" },
            Rules =
            [
                new V1PolicyRule { ApiGroups = ["build.openshift.io"], Resources = ["builds", "buildconfigs"], Verbs = ["get", "create", "update", "patch"] },
                new V1PolicyRule { ApiGroups = ["build.openshift.io"], Resources = ["builds/details", "builds/clone", "buildconfigs/instantiate"], Verbs = ["create", "update"] },
            ],
        });
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _sa.Dispose();
        _adminClient.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>Binds the robot, in <see cref="Ns"/>, to a ClusterRole or to a Role created with it.</summary>
    private async Task BindAsync(string name, string kind, V1Role? role = null)
    {
        if (role is not null) await _adminClient.RbacAuthorizationV1.CreateNamespacedRoleAsync(role, Ns);
        await _adminClient.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = name.Replace(':', '-') },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = kind, Name = name },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "robot", NamespaceProperty = Ns }],
        }, Ns);
    }

    private static JsonObject Build(string name, JsonObject strategy, string kind = "Build")
    {
        var build = OpenShiftBuildTests.DockerBuild(name);
        build["kind"] = kind;
        build["spec"]!["strategy"] = strategy;
        return build;
    }

    private static JsonObject Custom() => new() { ["customStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "quay.example.com/org/builder:1" } } };
    private static JsonObject Source() => new() { ["sourceStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "quay.example.com/org/s2i:1" } } };
    private static JsonObject Docker(string? policy = null) => new() { ["dockerStrategy"] = policy is null ? new JsonObject() : new JsonObject { ["imageOptimizationPolicy"] = policy } };

    private static async Task<(int Code, JsonObject? Body)> SendAsync(HttpClient http, HttpMethod method, string path, JsonObject? body = null,
        string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : null);
    }

    private static JsonObject BuildRequest(string name) => new() { ["kind"] = "BuildRequest", ["apiVersion"] = "build.openshift.io/v1", ["metadata"] = new JsonObject { ["name"] = name } };

    /// <summary>The 403 of admission.NewForbidden: the request's resource, the object's name, the plugin's words.</summary>
    private static void AssertNotAllowed((int Code, JsonObject? Body) answer, string resource, string name, string strategy)
    {
        Assert.Equal(403, answer.Code);
        Assert.Equal("Forbidden", (string?)answer.Body!["reason"]);
        Assert.Equal($"{resource}.build.openshift.io \"{name}\" is forbidden: build strategy {strategy} is not allowed", (string?)answer.Body["message"]);
        Assert.Equal(name, (string?)answer.Body["details"]!["name"]);
        Assert.Equal("build.openshift.io", (string?)answer.Body["details"]!["group"]);
        Assert.Equal(resource, (string?)answer.Body["details"]!["kind"]);
    }

    [Fact]
    public async Task Authenticated_users_may_use_every_strategy_but_custom_until_it_is_granted()
    {
        Assert.Equal(201, (await SendAsync(_sa, HttpMethod.Post, Builds, Build("docker", Docker()))).Code);
        Assert.Equal(201, (await SendAsync(_sa, HttpMethod.Post, Builds, Build("source", Source()))).Code);
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Post, Builds, Build("custom", Custom())), "builds", "custom", "Custom");
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Post, BuildConfigs, Build("bc", Custom(), "BuildConfig")), "buildconfigs", "bc", "Custom");
        // dryRun is admitted all the same.
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Post, Builds + "?dryRun=All", Build("custom", Custom())), "builds", "custom", "Custom");
        // system:masters passes whatever the strategy.
        Assert.Equal(201, (await SendAsync(_admin, HttpMethod.Post, Builds, Build("admins", Custom()))).Code);
        // A strategy without exactly one member is validation's to refuse (422), as on a real server.
        Assert.Equal(422, (await SendAsync(_sa, HttpMethod.Post, Builds, Build("none", new JsonObject()))).Code);

        await BindAsync("system:build-strategy-custom", "ClusterRole");
        Assert.Equal(201, (await SendAsync(_sa, HttpMethod.Post, Builds, Build("custom", Custom()))).Code);
        Assert.Equal(201, (await SendAsync(_sa, HttpMethod.Post, BuildConfigs, Build("bc", Custom(), "BuildConfig"))).Code);
    }

    [Fact]
    public async Task Updates_are_judged_too_except_builds_details_and_garbage_collector_fields()
    {
        Assert.Equal(201, (await SendAsync(_admin, HttpMethod.Post, Builds, Build("c", Custom()))).Code);
        var labels = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["team"] = "a" } } };
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Patch, $"{Builds}/c", labels, "application/merge-patch+json"), "builds", "c", "Custom");

        // What the garbage collector writes (ownerReferences, finalizers) passes for anyone allowed the update itself.
        var gc = new JsonObject { ["metadata"] = new JsonObject
        {
            ["finalizers"] = new JsonArray("example.com/hold"),
            ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "owner", ["uid"] = "3f1c0b7e-0000-4000-8000-000000000001" }),
        } };
        Assert.Equal(200, (await SendAsync(_sa, HttpMethod.Patch, $"{Builds}/c", gc, "application/merge-patch+json")).Code);

        // builds/details (the builder's commit report) is exempt.
        var (code, current) = await SendAsync(_admin, HttpMethod.Get, $"{Builds}/c");
        Assert.Equal(200, code);
        current!["metadata"]!["annotations"] = new JsonObject { ["openshift.io/build.commit.id"] = "abc123" };
        Assert.Equal(200, (await SendAsync(_sa, HttpMethod.Put, $"{Builds}/c/details", current)).Code);

        await BindAsync("system:build-strategy-custom", "ClusterRole");
        Assert.Equal(200, (await SendAsync(_sa, HttpMethod.Patch, $"{Builds}/c", labels, "application/merge-patch+json")).Code);
    }

    [Fact]
    public async Task Docker_builds_with_an_image_optimization_policy_need_builds_optimizeddocker()
    {
        // Take docker builds away from everyone (the documented way to restrict them), then give back builds/docker only.
        await _adminClient.RbacAuthorizationV1.DeleteClusterRoleBindingAsync("system:build-strategy-docker-binding");
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Post, Builds, Build("d0", Docker())), "builds", "d0", "Docker");
        await BindAsync("plain-docker", "Role", new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "plain-docker" },
            Rules = [new V1PolicyRule { ApiGroups = ["build.openshift.io"], Resources = ["builds/docker"], Verbs = ["create"] }],
        });
        Assert.Equal(201, (await SendAsync(_sa, HttpMethod.Post, Builds, Build("d1", Docker()))).Code);
        Assert.Equal(201, (await SendAsync(_sa, HttpMethod.Post, Builds, Build("d2", Docker("None")))).Code);
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Post, Builds, Build("d3", Docker("SkipLayers"))), "builds", "d3", "Docker");
    }

    [Fact]
    public async Task Instantiate_and_clone_need_the_strategy_of_what_they_start_from()
    {
        Assert.Equal(201, (await SendAsync(_admin, HttpMethod.Post, BuildConfigs, Build("bc", Custom(), "BuildConfig"))).Code);
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Post, $"{BuildConfigs}/bc/instantiate", BuildRequest("bc")), "buildconfigs", "bc", "Custom");
        // Refused before the generator ran: no number was consumed.
        Assert.Equal(0, (long)(await SendAsync(_admin, HttpMethod.Get, $"{BuildConfigs}/bc")).Body!["status"]!["lastVersion"]!);

        Assert.Equal(201, (await SendAsync(_admin, HttpMethod.Post, $"{BuildConfigs}/bc/instantiate", BuildRequest("bc"))).Code);
        AssertNotAllowed(await SendAsync(_sa, HttpMethod.Post, $"{Builds}/bc-1/clone", BuildRequest("bc-1")), "builds", "bc-1", "Custom");
        Assert.Equal(1, (long)(await SendAsync(_admin, HttpMethod.Get, $"{BuildConfigs}/bc")).Body!["status"]!["lastVersion"]!);

        // Allowed, the requester gets the Build the server generates (written as system:apiserver).
        await BindAsync("system:build-strategy-custom", "ClusterRole");
        var instantiated = await SendAsync(_sa, HttpMethod.Post, $"{BuildConfigs}/bc/instantiate", BuildRequest("bc"));
        Assert.Equal(201, instantiated.Code);
        Assert.Equal("bc-2", (string?)instantiated.Body!["metadata"]!["name"]);
        var cloned = await SendAsync(_sa, HttpMethod.Post, $"{Builds}/bc-1/clone", BuildRequest("bc-1"));
        Assert.Equal(201, cloned.Code);
        Assert.Equal("bc-3", (string?)cloned.Body!["metadata"]!["name"]);
    }

    [Fact]
    public async Task The_bootstrap_policy_has_OpenShifts_build_strategy_roles_and_plain_Kubernetes_does_not()
    {
        var docker = await _adminClient.RbacAuthorizationV1.ReadClusterRoleAsync("system:build-strategy-docker");
        var rule = Assert.Single(docker.Rules);
        Assert.Equal(["build.openshift.io", ""], rule.ApiGroups);
        Assert.Equal(["builds/docker", "builds/optimizeddocker"], rule.Resources);
        Assert.Equal(["create"], rule.Verbs);
        foreach (var strategy in new[] { "source", "jenkinspipeline", "custom" })
            Assert.Equal([$"builds/{strategy}"], Assert.Single((await _adminClient.RbacAuthorizationV1.ReadClusterRoleAsync($"system:build-strategy-{strategy}")).Rules).Resources);
        foreach (var strategy in new[] { "docker", "source", "jenkinspipeline" })
        {
            var binding = await _adminClient.RbacAuthorizationV1.ReadClusterRoleBindingAsync($"system:build-strategy-{strategy}-binding");
            Assert.Equal($"system:build-strategy-{strategy}", binding.RoleRef.Name);
            var subject = Assert.Single(binding.Subjects);
            Assert.Equal(("Group", "system:authenticated"), (subject.Kind, subject.Name));
        }
        var bindings = await _adminClient.RbacAuthorizationV1.ListClusterRoleBindingAsync();
        Assert.DoesNotContain(bindings.Items, b => b.RoleRef.Name == "system:build-strategy-custom");

        await using var kubernetes = await KubernetesApiServer.StartAsync(new ApiServerOptions { ServeOpenShiftApis = false });
        var path = Path.Combine(Path.GetTempPath(), $"plain-{Guid.NewGuid():N}.kubeconfig");
        kubernetes.WriteKubeconfig(path);
        using var plain = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
        File.Delete(path);
        Assert.DoesNotContain((await plain.RbacAuthorizationV1.ListClusterRoleAsync()).Items, r => r.Metadata.Name.StartsWith("system:build-strategy-", StringComparison.Ordinal));
    }
}
