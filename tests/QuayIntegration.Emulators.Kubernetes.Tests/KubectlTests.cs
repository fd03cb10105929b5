using k8s;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>Real kubectl — a client nobody here wrote — against the emulator: discovery, OpenAPI validation, every verb.</summary>
public sealed class KubectlTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private Kubectl Kubectl(string? version = null) =>
        new(Support.Kubectl.Locate(version), f.KubeconfigPath, Path.Combine(f.Directory, "cache-" + (version ?? "default")));

    private static string DeployFile(params string[] parts) => Path.Combine([ApiServerFixture.RepoRoot(), "deploy", .. parts]);

    [Fact]
    public async Task Apply_of_the_deploy_CRD_and_sample_then_get_with_printer_columns()
    {
        var k = Kubectl();
        Assert.Matches(@"customresourcedefinition\.apiextensions\.k8s\.io/quayintegrations\.quay\.redhat\.com (created|unchanged)", await k.OkAsync($"apply -f {DeployFile("base", "crds")}"));
        Assert.Contains("quayintegrations.quay.redhat.com", await k.OkAsync("get crd"));
        Assert.Contains("quayintegration.quay.redhat.com/quay", await k.OkAsync($"apply -f {DeployFile("samples")}"));
        Assert.Contains("unchanged", await k.OkAsync($"apply -f {DeployFile("samples")}"));
        var table = await k.OkAsync("get qi");
        Assert.Matches(@"NAME\s+QUAY\s+READY\s+SYNCED\s+PENDING\s+FAILING\s+AGE", table);
        Assert.Matches(@"quay\s+https://quay\.example\.com", table);
        Assert.Matches(@"REASON", await k.OkAsync("get quayintegrations -o wide"));
        Assert.Equal("Keep", await k.OkAsync("get qi quay -o jsonpath={.spec.cleanupPolicy}"));
        Assert.Matches(@"NAME\s+QUAY\s+READY", await k.OkAsync("get qi quay")); // single-object get is a Table too
        Assert.Matches(@"NAME\s+STATUS\s+AGE\s+default\s+Active", await k.OkAsync("get namespace default"));
    }

    [Fact]
    public async Task Apply_of_the_whole_deploy_kustomization_installs_everything()
    {
        var k = Kubectl();
        var output = await k.OkAsync($"apply -k {DeployFile()}");
        foreach (var expected in new[] { "namespace/quay-integration", "serviceaccount/", "clusterrole.rbac.authorization.k8s.io/", "service/quay-integration",
                     "deployment.apps/", "mutatingwebhookconfiguration.admissionregistration.k8s.io/" })
            Assert.Contains(expected, output);
        // kubectl always patches a PodDisruptionBudget's selector (patch strategy "replace") and calls it configured.
        Assert.DoesNotContain("configured", (await k.OkAsync($"apply -k {DeployFile()}")).Replace("poddisruptionbudget.policy/quay-integration configured", ""));
        Assert.Matches(@"172\.30\.", await k.OkAsync("-n quay-integration get service quay-integration -o jsonpath={.spec.clusterIP}"));
    }

    /// <summary>kubectl sends a server-side dry run of a delete in the DeleteOptions body: nothing is deleted.</summary>
    [Fact]
    public async Task A_server_side_dry_run_delete_deletes_nothing()
    {
        var k = Kubectl();
        await k.OkAsync("create configmap dry-kept -n default --from-literal=a=1");
        Assert.Contains("configmap \"dry-kept\" deleted (server dry run)", await k.OkAsync("delete configmap dry-kept -n default --dry-run=server"));
        Assert.Equal("1", await k.OkAsync("get configmap dry-kept -n default -o jsonpath={.data.a}"));
        // A dry run of a create still meets the object of that name (registry/dryrun.go): 409, not "created".
        var again = await k.RunAsync("create configmap dry-kept -n default --from-literal=a=2 --dry-run=server");
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("configmaps \"dry-kept\" already exists", again.Err);
        Assert.Contains("configmap/dry-new created (server dry run)", await k.OkAsync("create configmap dry-new -n default --dry-run=server"));
        await k.OkAsync("delete configmap dry-kept -n default");
    }

    [Fact]
    public async Task Api_resources_lists_core_OpenShift_and_custom_resources()
    {
        var k = Kubectl();
        await k.OkAsync($"apply -f {DeployFile("base", "crds")}");
        var resources = await k.OkAsync("api-resources");
        foreach (var expected in new[] { "namespaces", "secrets", "serviceaccounts", "configmaps", "leases", "customresourcedefinitions",
                     "mutatingwebhookconfigurations", "builds", "buildconfigs", "imagestreams", "imagestreamimports", "imagestreamtags",
                     "projects", "projectrequests", "quayintegrations" })
            Assert.Matches($@"(?m)^{expected}\s", resources);
        Assert.Matches(@"(?m)^quayintegrations\s+qi\s+quay\.redhat\.com/v1\s+false\s+QuayIntegration", resources);
    }

    [Fact]
    public async Task Create_validates_on_the_server_without_disabling_validation()
    {
        var k = Kubectl();
        await k.OkAsync($"apply -f {DeployFile("base", "crds")}");
        var unknown = await k.RunAsync("create -f -", """
            apiVersion: quay.redhat.com/v1
            kind: QuayIntegration
            metadata: {name: unknown-field}
            spec: {quayHostname: "https://q.example.com", credentialsSecret: {namespace: a, name: b}, bogus: 1}
            """);
        Assert.NotEqual(0, unknown.Exit);
        Assert.Contains("unknown field \"spec.bogus\"", unknown.Err);
        var invalid = await k.RunAsync("create -f -", """
            apiVersion: quay.redhat.com/v1
            kind: QuayIntegration
            metadata: {name: invalid}
            spec: {quayHostname: "ftp://q", credentialsSecret: {namespace: a, name: b}}
            """);
        Assert.NotEqual(0, invalid.Exit);
        Assert.Contains("The QuayIntegration \"invalid\" is invalid: spec.quayHostname: Invalid value: \"ftp://q\"", invalid.Err);
    }

    [Fact]
    public async Task Create_patch_get_and_delete_core_objects()
    {
        var k = Kubectl();
        var ns = await f.CreateNamespaceAsync("kc");
        await k.OkAsync($"-n {ns} create -f -", """
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: builder}
            secrets: [{name: builder-dockercfg-x}]
            """);
        await k.OkAsync($"-n {ns} patch sa builder -p '{{\"secrets\":[{{\"name\":\"builder-quay-openshift\"}}],\"imagePullSecrets\":[{{\"name\":\"builder-quay-openshift\"}}]}}'");
        Assert.Equal("builder-dockercfg-x builder-quay-openshift", await k.OkAsync($"-n {ns} get sa builder -o jsonpath={{.secrets[*].name}}"));
        await k.OkAsync($"-n {ns} patch sa builder --type=merge -p '{{\"automountServiceAccountToken\":false}}'");
        await k.OkAsync($"-n {ns} patch sa builder --type=json -p '[{{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{{\"a\":\"b\"}}}}]'");
        Assert.Contains("builder", await k.OkAsync($"-n {ns} get sa -l a=b"));
        Assert.Contains("deleted", await k.OkAsync($"-n {ns} delete sa builder"));
        var missing = await k.RunAsync($"-n {ns} get sa builder");
        Assert.Contains("serviceaccounts \"builder\" not found", missing.Err);
    }

    [Fact]
    public async Task Get_watch_streams_changes()
    {
        var k = Kubectl();
        var ns = await f.CreateNamespaceAsync("kw");
        using var watch = k.Start($"-n {ns} get configmaps -w --output-watch-events");
        await Eventually.TrueAsync(async () =>
        {
            // Keep creating until kubectl has connected and printed one of them.
            try { await f.Client.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new k8s.Models.V1ObjectMeta { GenerateName = "watched-" } }, ns); }
            catch (k8s.Autorest.HttpOperationException) { }
            return watch.Output.Contains("watched-");
        }, TimeSpan.FromSeconds(20), "kubectl get -w output");
        Assert.Matches(@"ADDED\s+watched-", watch.Output);
    }

    [Theory]
    [InlineData("1.27")]
    [InlineData("1.33")]
    public async Task Other_kubectl_versions_apply_get_patch_and_delete(string version)
    {
        var k = Kubectl(version);
        await k.OkAsync($"apply -f {DeployFile("base", "crds")}");
        await k.OkAsync($"apply -f {DeployFile("samples")}");
        Assert.Matches(@"quay\s+https://quay\.example\.com", await k.OkAsync("get qi"));
        var ns = await f.CreateNamespaceAsync("v" + version.Replace(".", ""));
        await k.OkAsync($"-n {ns} apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"1\"}\n");
        await k.OkAsync($"-n {ns} apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {b: \"2\"}\n");
        Assert.Equal("{\"b\":\"2\"}", await k.OkAsync($"-n {ns} get cm c -o jsonpath={{.data}}"));
        await k.OkAsync($"-n {ns} delete cm c");
        Assert.Matches(@"(?m)^builds\s", await k.OkAsync("api-resources"));

        // Typed generators (kubectl 1.33 sends these bodies as protobuf).
        var typed = "t" + version.Replace(".", "");
        await k.OkAsync($"create namespace {typed}");
        await k.OkAsync($"-n {typed} create configmap c --from-literal=a=b");
        await k.OkAsync($"-n {typed} create secret docker-registry d --docker-server=quay.example.com --docker-username=u --docker-password=p");
        await k.OkAsync($"-n {typed} create serviceaccount builder");
        var ns2 = await f.Client.CoreV1.ReadNamespaceAsync(typed);
        Assert.Equal(["kubernetes"], ns2.Spec.Finalizers);
        Assert.Null(ns2.Metadata.GenerateName);
        Assert.Equal("b", (await f.Client.CoreV1.ReadNamespacedConfigMapAsync("c", typed)).Data["a"]);
        Assert.Equal("kubernetes.io/dockerconfigjson", (await f.Client.CoreV1.ReadNamespacedSecretAsync("d", typed)).Type);
    }
}
