using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// The default roles and bindings kube-apiserver's <c>rbac/bootstrap-roles</c> post-start hook creates, as far as
/// anything here needs them (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go ClusterRoles and
/// ClusterRoleBindings): <c>cluster-admin</c> for <c>system:masters</c>; discovery and health for every authenticated
/// user (<c>system:discovery</c>, <c>system:public-info-viewer</c>); the self reviews (<c>system:basic-user</c>:
/// SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview); <c>system:auth-delegator</c> (TokenReview,
/// SubjectAccessReview) unbound, for tests to bind. Not bootstrapped: the aggregated <c>admin</c>/<c>edit</c>/<c>view</c>
/// roles and the controllers' own roles (the emulated controllers run as the admin).
/// With the OpenShift APIs, also OpenShift's build strategy roles (origin bootstrappolicy): <c>system:build-strategy-docker</c>
/// (<c>builds/docker</c> and <c>builds/optimizeddocker</c>), <c>-source</c>, <c>-jenkinspipeline</c> and <c>-custom</c>,
/// each <c>create</c> in build.openshift.io and the legacy core group, the first three bound to every authenticated user
/// (<c>system:build-strategy-*-binding</c>), custom to no one: what the BuildByStrategy admission plugin asks.
/// </summary>
public static class BootstrapPolicy
{
    private static readonly string[] DiscoveryUrls = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];
    private static readonly string[] PublicInfoUrls = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

    public static async Task CreateAsync(ApiServerCore core)
    {
        var openShift = core.Options.ServeOpenShiftApis;
        foreach (var role in ClusterRoles().Concat(openShift ? BuildStrategyRoles() : [])) await CreateAsync(core, "clusterroles", role);
        foreach (var binding in ClusterRoleBindings().Concat(openShift ? BuildStrategyBindings() : [])) await CreateAsync(core, "clusterrolebindings", binding);
    }

    private static IEnumerable<JsonObject> ClusterRoles()
    {
        yield return Role("cluster-admin",
            new JsonObject { ["verbs"] = Array("*"), ["apiGroups"] = Array("*"), ["resources"] = Array("*") },
            new JsonObject { ["verbs"] = Array("*"), ["nonResourceURLs"] = Array("*") });
        yield return Role("system:discovery", new JsonObject { ["verbs"] = Array("get"), ["nonResourceURLs"] = Array(DiscoveryUrls) });
        yield return Role("system:public-info-viewer", new JsonObject { ["verbs"] = Array("get"), ["nonResourceURLs"] = Array(PublicInfoUrls) });
        yield return Role("system:basic-user",
            new JsonObject { ["verbs"] = Array("create"), ["apiGroups"] = Array("authorization.k8s.io"), ["resources"] = Array("selfsubjectaccessreviews", "selfsubjectrulesreviews") },
            new JsonObject { ["verbs"] = Array("create"), ["apiGroups"] = Array("authentication.k8s.io"), ["resources"] = Array("selfsubjectreviews") });
        yield return Role("system:auth-delegator",
            new JsonObject { ["verbs"] = Array("create"), ["apiGroups"] = Array("authentication.k8s.io"), ["resources"] = Array("tokenreviews") },
            new JsonObject { ["verbs"] = Array("create"), ["apiGroups"] = Array("authorization.k8s.io"), ["resources"] = Array("subjectaccessreviews") });
    }

    private static IEnumerable<JsonObject> ClusterRoleBindings()
    {
        yield return Binding("cluster-admin", "system:masters");
        yield return Binding("system:discovery", "system:authenticated");
        yield return Binding("system:public-info-viewer", "system:authenticated", "system:unauthenticated");
        yield return Binding("system:basic-user", "system:authenticated");
    }

    /// <summary>The strategies and the <c>builds/…</c> subresources their role grants.</summary>
    private static readonly (string Strategy, string[] Resources)[] BuildStrategies =
    [
        ("docker", ["builds/docker", "builds/optimizeddocker"]), ("source", ["builds/source"]),
        ("jenkinspipeline", ["builds/jenkinspipeline"]), ("custom", ["builds/custom"]),
    ];

    private static IEnumerable<JsonObject> BuildStrategyRoles() => BuildStrategies.Select(s => Role($"system:build-strategy-{s.Strategy}",
        new JsonObject { ["verbs"] = Array("create"), ["apiGroups"] = Array("build.openshift.io", ""), ["resources"] = Array(s.Resources) }));

    /// <summary>Custom builds run a builder image of the user's choosing, privileged: no one gets them by default.</summary>
    private static IEnumerable<JsonObject> BuildStrategyBindings() => BuildStrategies.Where(s => s.Strategy != "custom")
        .Select(s => BindingOf($"system:build-strategy-{s.Strategy}-binding", $"system:build-strategy-{s.Strategy}", "system:authenticated"));

    private static JsonObject Role(string name, params JsonObject[] rules) => new()
    {
        ["metadata"] = Metadata(name),
        ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()),
    };

    private static JsonObject Binding(string name, params string[] groups) => BindingOf(name, name, groups);

    private static JsonObject BindingOf(string name, string role, params string[] groups) => new()
    {
        ["metadata"] = Metadata(name),
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = role },
        ["subjects"] = new JsonArray(groups.Select(g => (JsonNode?)new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Group", ["name"] = g }).ToArray()),
    };

    /// <summary>The label and annotation every bootstrap object carries (bootstrappolicy addDefaultMetadata).</summary>
    private static JsonObject Metadata(string name) => new()
    {
        ["name"] = name,
        ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
        ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
    };

    private static JsonArray Array(params string[] values) => values.ToJsonArray();

    private static async Task CreateAsync(ApiServerCore core, string plural, JsonObject obj)
    {
        var type = core.Registry.Find("rbac.authorization.k8s.io", "v1", plural)!;
        var ctx = new RequestContext { Server = core, Http = new DefaultHttpContext(), Type = type, Verb = "create" };
        await ResourceOperations.CreateAsync(ctx, obj);
    }
}
