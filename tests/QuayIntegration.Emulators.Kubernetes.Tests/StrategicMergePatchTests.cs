using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// Strategic merge patch with the merge keys of the built-in types (k8s.io/api struct tags, copied in
/// Patch/BuiltInPatchMetadata.cs) and the directives of k8s.io/apimachinery/pkg/util/strategicpatch, checked with the
/// client that depends on them most: <c>kubectl apply</c>, whose three-way patches name only what changed and rely on
/// the server to merge containers by name, ports by containerPort, env by name.
/// </summary>
public sealed class StrategicMergePatchTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private const string Smp = "application/strategic-merge-patch+json";
    private static string DeployFile(params string[] parts) => Path.Combine([ApiServerFixture.RepoRoot(), "deploy", "base", .. parts]);
    private Kubectl Kubectl() => new(Support.Kubectl.Locate(), f.KubeconfigPath, Path.Combine(f.Directory, "cache-smp"));

    private async Task<JsonObject> GetAsync(string path)
    {
        var (code, body, _) = await f.SendAsync(HttpMethod.Get, path);
        Assert.True(code == 200, body?.ToJsonString());
        return body!.AsObject();
    }

    [Fact]
    public async Task Kubectl_apply_of_deploy_then_of_a_changed_Deployment_stores_what_kubernetes_stores()
    {
        var k = Kubectl();
        await k.OkAsync($"apply -k {DeployFile()}");
        const string path = "/apis/apps/v1/namespaces/quay-integration/deployments/quay-integration";
        var manifest = Manifests.ReadYaml(DeployFile("deployment.yaml"));
        var containers = manifest["spec"]!["template"]!["spec"]!["containers"]!.AsArray();

        // A second container: kubectl's patch lists only the new one (plus $setElementOrder/containers).
        containers.Add(new JsonObject
        {
            ["name"] = "sidecar", ["image"] = "registry.example.com/sidecar:1.0",
            ["env"] = new JsonArray(new JsonObject { ["name"] = "MODE", ["value"] = "quiet" }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "sidecar", ["containerPort"] = 9000 }),
        });
        Assert.Contains("configured", await k.OkAsync("apply -f -", manifest.ToJsonString()));

        // One container's image, one env var, one port: the patch names only those, keyed by name / containerPort.
        var operatorContainer = containers[0]!.AsObject();
        operatorContainer["image"] = "quay.io/quay-integration/operator:v2";
        operatorContainer["env"]!.AsArray().Single(e => (string?)e!["name"] == "WEBHOOK_CERT_DIR")!["value"] = "/certs";
        operatorContainer["ports"]!.AsArray().Single(p => (string?)p!["name"] == "health")!["containerPort"] = 9090;
        var patchesBefore = f.Server.Requests.Count("patch", "deployments");
        Assert.Contains("configured", await k.OkAsync("apply -f -", manifest.ToJsonString()));
        Assert.Equal(patchesBefore + 1, f.Server.Requests.Count("patch", "deployments")); // a patch, not a replace

        // Kubernetes stores exactly the applied pod spec (the emulator fills in no container defaults, so nothing else).
        var stored = await GetAsync(path);
        Assert.True(JsonNode.DeepEquals(manifest["spec"]!["template"], stored["spec"]!["template"]),
            $"expected\n{manifest["spec"]!["template"]!.ToJsonString()}\nstored\n{stored["spec"]!["template"]!.ToJsonString()}");
        Assert.DoesNotContain("$", stored.ToJsonString().Replace("\\u0024", "$").Split("last-applied-configuration")[0]);
        Assert.Equal(9090, (int)stored["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]!.AsArray().Single(p => (string?)p!["name"] == "health")!["containerPort"]!);

        // Dropping the sidecar from the manifest removes it (kubectl sends it as {"name":"sidecar","$patch":"delete"}).
        containers.RemoveAt(1);
        await k.OkAsync("apply -f -", manifest.ToJsonString());
        stored = await GetAsync(path);
        Assert.True(JsonNode.DeepEquals(manifest["spec"]!["template"], stored["spec"]!["template"]), stored["spec"]!["template"]!.ToJsonString());
    }

    [Fact]
    public async Task Service_ports_merge_by_port_and_webhooks_by_name()
    {
        var ns = await f.CreateNamespaceAsync("smp");
        var (code, _, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/services",
            """{"metadata":{"name":"svc"},"spec":{"ports":[{"name":"webhook","port":443,"targetPort":8443},{"name":"metrics","port":8080}]}}""");
        Assert.Equal(201, code);
        (code, var svc, _) = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/services/svc",
            """{"spec":{"ports":[{"port":8080,"targetPort":9090},{"name":"extra","port":9443}]}}""", Smp);
        Assert.Equal(200, code);
        Assert.Equal("""[{"name":"webhook","port":443,"targetPort":8443},{"name":"metrics","port":8080,"targetPort":9090},{"name":"extra","port":9443}]""",
            svc!["spec"]!["ports"]!.ToJsonString());

        var webhook = (string name) => new JsonObject
        {
            ["name"] = name, ["sideEffects"] = "None", ["admissionReviewVersions"] = new JsonArray("v1"),
            ["clientConfig"] = new JsonObject { ["url"] = $"https://{name}/hook" },
            ["rules"] = new JsonArray(new JsonObject { ["operations"] = new JsonArray("CREATE"), ["apiGroups"] = new JsonArray(""), ["apiVersions"] = new JsonArray("v1"), ["resources"] = new JsonArray("configmaps") }),
        };
        var config = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "smp-" + ns }, ["webhooks"] = new JsonArray(webhook("a.example.com"), webhook("b.example.com")) };
        (code, _, _) = await f.SendAsync(HttpMethod.Post, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", config.ToJsonString());
        Assert.Equal(201, code);
        (code, var patched, _) = await f.SendAsync(HttpMethod.Patch, $"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/smp-{ns}",
            """{"webhooks":[{"name":"b.example.com","timeoutSeconds":5,"rules":[{"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["secrets"]}]}]}""", Smp);
        Assert.Equal(200, code);
        var hooks = patched!["webhooks"]!.AsArray();
        Assert.Equal(["a.example.com", "b.example.com"], hooks.Select(h => (string)h!["name"]!));
        Assert.Equal(5, (int)hooks[1]!["timeoutSeconds"]!);
        // rules carry no merge strategy: the patch's list replaces the old one whole.
        Assert.Equal("""[{"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["secrets"],"scope":"*"}]""", hooks[1]!["rules"]!.ToJsonString());
    }

    [Fact]
    public async Task Directives_delete_replace_retainKeys_and_setElementOrder_are_applied_never_stored()
    {
        var ns = await f.CreateNamespaceAsync("smp");
        var deployment = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "d", ["finalizers"] = new JsonArray("a.io/x") },
            ["spec"] = new JsonObject
            {
                ["strategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxSurge"] = 1 } },
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(
                            new JsonObject { ["name"] = "a", ["image"] = "a:1" },
                            new JsonObject { ["name"] = "b", ["image"] = "b:1", ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "v", ["mountPath"] = "/v" }) }),
                        ["volumes"] = new JsonArray(new JsonObject { ["name"] = "v", ["emptyDir"] = new JsonObject() }),
                        ["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "one" }),
                    },
                },
            },
        };
        var path = $"/apis/apps/v1/namespaces/{ns}/deployments/d";
        Assert.Equal(201, (await f.SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{ns}/deployments", deployment.ToJsonString())).Code);

        // $retainKeys (spec.strategy is a retainKeys struct): switching to Recreate clears rollingUpdate.
        var (code, body, _) = await f.SendAsync(HttpMethod.Patch, path, """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""", Smp);
        Assert.Equal(200, code);
        Assert.Equal("""{"type":"Recreate"}""", body!["spec"]!["strategy"]!.ToJsonString());

        // $patch: delete on a keyed element; $setElementOrder/containers reorders; imagePullSecrets of a pod merge by name.
        (code, body, _) = await f.SendAsync(HttpMethod.Patch, path,
            """{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"b"}],"containers":[{"name":"a","$patch":"delete"},{"name":"c","image":"c:1"}],"imagePullSecrets":[{"name":"two"}]}}}}""", Smp);
        Assert.Equal(200, code);
        var spec = body!["spec"]!["template"]!["spec"]!;
        Assert.Equal(["c", "b"], spec["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(["one", "two"], spec["imagePullSecrets"]!.AsArray().Select(c => (string)c!["name"]!));

        // $patch: replace on a list replaces it whole; on a map, the map.
        (code, body, _) = await f.SendAsync(HttpMethod.Patch, path,
            """{"spec":{"template":{"spec":{"volumes":[{"$patch":"replace"},{"name":"w","emptyDir":{}}],"containers":[{"name":"b","volumeMounts":[{"mountPath":"/w","name":"w"}]}]}}}}""", Smp);
        Assert.Equal(200, code);
        spec = body!["spec"]!["template"]!["spec"]!;
        Assert.Equal("""[{"name":"w","emptyDir":{}}]""", spec["volumes"]!.ToJsonString());
        Assert.Equal(["/v", "/w"], spec["containers"]![1]!["volumeMounts"]!.AsArray().Select(m => (string)m!["mountPath"]!));
        Assert.DoesNotContain("$", body.ToJsonString());

        // A keyed element without its merge key is refused (mergepatch.ErrNoMergeKey).
        (code, body, _) = await f.SendAsync(HttpMethod.Patch, path, """{"spec":{"template":{"spec":{"containers":[{"image":"x:1"}]}}}}""", Smp);
        Assert.Equal(400, code);
        Assert.Equal("map: map[image:x:1] does not contain declared merge key: name", (string?)body!["message"]);
    }
}
