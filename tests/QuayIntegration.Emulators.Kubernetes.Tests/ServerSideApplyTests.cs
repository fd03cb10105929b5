using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// Server-side apply with field ownership, as k8s.io/apiserver's fieldmanager and structured-merge-diff's
/// merge.Updater do it: managedFields (FieldsV1), conflicts between managers (409 worded as internal/conflict.go),
/// force to take fields over, removal of fields a manager stops applying, and Update managers for ordinary writes.
/// </summary>
public sealed class ServerSideApplyTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private const string Apply = "application/apply-patch+yaml";

    private Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> ApplyAsync(string path, string manager, JsonObject config, bool force = false) =>
        f.SendAsync(HttpMethod.Patch, $"{path}?fieldManager={manager}{(force ? "&force=true" : "")}", config.ToJsonString(), Apply);

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Text(JsonNode? node) => node!.ToJsonString(Relaxed);

    private static JsonObject ConfigMap(string name, JsonObject data) => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = data,
    };

    private static JsonObject? Entry(JsonNode obj, string manager, string operation = "Apply") =>
        obj["metadata"]!["managedFields"]?.AsArray().OfType<JsonObject>().SingleOrDefault(e => (string?)e["manager"] == manager && (string?)e["operation"] == operation);

    [Fact]
    public async Task An_apply_without_a_field_manager_is_invalid_as_kube_apiserver_says()
    {
        var ns = await f.CreateNamespaceAsync("ssa");
        var (code, body, _) = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/anonymous",
            ConfigMap("anonymous", new JsonObject { ["a"] = "1" }).ToJsonString(), Apply);
        Assert.Equal(422, code);
        Assert.Equal("Invalid", (string?)body!["reason"]);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", (string?)body["message"]);
        Assert.Equal("FieldValueRequired", (string?)body["details"]!["causes"]![0]!["reason"]);
    }

    [Fact]
    public async Task A_yaml_body_is_typed_as_kube_apiserver_types_it()
    {
        // kube-apiserver reads apply patches and application/yaml bodies with sigs.k8s.io/yaml: plain 15 is a number,
        // quoted "yes" and "0755" are strings (the emulator once read every YAML scalar as a string).
        var ns = await f.CreateNamespaceAsync("ssa");
        const string lease = """
            apiVersion: coordination.k8s.io/v1
            kind: Lease
            metadata:
              name: typed
              labels: {quoted: "yes"}
            spec:
              holderIdentity: "0755"
              leaseDurationSeconds: 15
            """;
        var (code, body, _) = await f.SendAsync(HttpMethod.Patch, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/typed?fieldManager=yaml", lease, Apply);
        Assert.True(code == 201, body?.ToJsonString());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, body!["spec"]!["leaseDurationSeconds"]!.GetValueKind());
        Assert.Equal(15, (int)body["spec"]!["leaseDurationSeconds"]!);
        Assert.Equal("0755", (string?)body["spec"]!["holderIdentity"]);
        Assert.Equal("yes", (string?)body["metadata"]!["labels"]!["quoted"]);

        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
            lease.Replace("name: typed", "name: posted", StringComparison.Ordinal), "application/yaml");
        Assert.True(code == 201, body?.ToJsonString());
        Assert.Equal(15, (int)body!["spec"]!["leaseDurationSeconds"]!);
    }

    [Fact]
    public async Task Two_appliers_conflict_on_a_field_they_set_differently_until_one_forces()
    {
        var ns = await f.CreateNamespaceAsync("ssa");
        var path = $"/api/v1/namespaces/{ns}/configmaps/shared";
        var (code, body, _) = await ApplyAsync(path, "first", ConfigMap("shared", new JsonObject { ["color"] = "red", ["size"] = "l" }));
        Assert.Equal(201, code);
        var first = Entry(body!, "first")!;
        Assert.Equal("v1", (string?)first["apiVersion"]);
        Assert.Equal("FieldsV1", (string?)first["fieldsType"]);
        Assert.Equal("""{"f:data":{"f:color":{},"f:size":{}}}""", first["fieldsV1"]!.ToJsonString());

        // Applying the same configuration again changes nothing, not even the resourceVersion.
        var version = (string?)body!["metadata"]!["resourceVersion"];
        await Task.Delay(1100); // managedFields times have one-second resolution: a timestamp refresh would show
        (code, body, _) = await ApplyAsync(path, "first", ConfigMap("shared", new JsonObject { ["color"] = "red", ["size"] = "l" }));
        Assert.Equal(200, code);
        Assert.Equal(version, (string?)body!["metadata"]!["resourceVersion"]);

        // Another manager setting the same value shares the field; a different value is a conflict.
        (code, body, _) = await ApplyAsync(path, "second", ConfigMap("shared", new JsonObject { ["size"] = "l" }));
        Assert.Equal(200, code);
        (code, body, _) = await ApplyAsync(path, "second", ConfigMap("shared", new JsonObject { ["size"] = "l", ["color"] = "blue" }));
        Assert.Equal(409, code);
        Assert.Equal("Conflict", (string?)body!["reason"]);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"first\": .data.color", (string?)body["message"]);
        Assert.Equal("""[{"reason":"FieldManagerConflict","message":"conflict with \"first\"","field":".data.color"}]""", Text(body["details"]!["causes"]));

        // force takes the field over: "first" no longer owns it.
        (code, body, _) = await ApplyAsync(path, "second", ConfigMap("shared", new JsonObject { ["size"] = "l", ["color"] = "blue" }), force: true);
        Assert.Equal(200, code);
        Assert.Equal("blue", (string?)body!["data"]!["color"]);
        Assert.Equal("""{"f:data":{"f:size":{}}}""", Entry(body, "first")!["fieldsV1"]!.ToJsonString());
        Assert.Equal("""{"f:data":{"f:color":{},"f:size":{}}}""", Entry(body, "second")!["fieldsV1"]!.ToJsonString());

        // A field a manager stops applying goes, unless someone else still owns it.
        (code, body, _) = await ApplyAsync(path, "second", ConfigMap("shared", new JsonObject { ["shape"] = "round" }));
        Assert.Equal(200, code);
        Assert.Equal("""{"size":"l","shape":"round"}""", body!["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Ordinary_writes_are_update_managers_whose_fields_an_apply_conflicts_with()
    {
        var ns = await f.CreateNamespaceAsync("ssa");
        var path = $"/api/v1/namespaces/{ns}/configmaps/mixed";
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps?fieldManager=creator",
            ConfigMap("mixed", new JsonObject { ["a"] = "1" }).ToJsonString());
        Assert.Equal(201, code);
        var creator = Entry(body!, "creator", "Update")!;
        Assert.Equal("""{"f:data":{"f:a":{}}}""", creator["fieldsV1"]!.ToJsonString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)creator["time"]);

        // A merge patch by another manager takes the field it changes.
        (code, body, _) = await f.SendAsync(HttpMethod.Patch, $"{path}?fieldManager=editor", """{"data":{"a":"2","b":"x"}}""", "application/merge-patch+json");
        Assert.Equal(200, code);
        Assert.Null(Entry(body!, "creator", "Update"));
        Assert.Equal("""{"f:data":{"f:a":{},"f:b":{}}}""", Entry(body!, "editor", "Update")!["fieldsV1"]!.ToJsonString());
        var time = (string?)Entry(body!, "editor", "Update")!["time"];

        (code, body, _) = await ApplyAsync(path, "applier", ConfigMap("mixed", new JsonObject { ["a"] = "3" }));
        Assert.Equal(409, code);
        Assert.Equal($"Apply failed with 1 conflict: conflict with \"editor\" using v1 at {time}: .data.a", (string?)body!["message"]);
    }

    [Fact]
    public async Task Associative_lists_are_owned_per_element()
    {
        var ns = await f.CreateNamespaceAsync("ssa");
        var path = $"/apis/apps/v1/namespaces/{ns}/deployments/web";
        JsonObject Deployment(params (string Name, string Image)[] containers) => new()
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(containers.Select(c => (JsonNode?)new JsonObject { ["name"] = c.Name, ["image"] = c.Image }).ToArray()),
                    },
                },
            },
        };
        Assert.Equal(201, (await ApplyAsync(path, "app-team", Deployment(("app", "app:1")))).Code);
        var (code, body, _) = await ApplyAsync(path, "mesh", Deployment(("proxy", "proxy:1")));
        Assert.Equal(200, code);
        Assert.Equal(["app", "proxy"], body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal("""{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"proxy\"}":{".":{},"f:image":{},"f:name":{}}}}}}}""",
            Text(Entry(body, "mesh")!["fieldsV1"]));

        (code, body, _) = await ApplyAsync(path, "mesh", Deployment(("app", "app:2")));
        Assert.Equal(409, code);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"app-team\": .spec.template.spec.containers[name=\"app\"].image", (string?)body!["message"]);

        // The mesh stops applying its container: it goes; the app team's stays.
        (code, body, _) = await ApplyAsync(path, "mesh", Deployment());
        Assert.Equal(200, code);
        Assert.Equal(["app"], body!["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
    }

    [Fact]
    public async Task Kubectl_apply_server_side_twice_with_two_managers_behaves_as_against_kubernetes()
    {
        var ns = await f.CreateNamespaceAsync("ssa");
        var k = new Kubectl(Kubectl.Locate(), f.KubeconfigPath, Path.Combine(f.Directory, "cache-ssa"));
        string Manifest(string color) => new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "settings", ["namespace"] = ns },
            ["data"] = new JsonObject { ["color"] = color },
        }.ToJsonString();

        Assert.Contains("configmap/settings serverside-applied", await k.OkAsync("apply --server-side --field-manager=team-a -f -", Manifest("red")));
        Assert.Contains("serverside-applied", await k.OkAsync("apply --server-side --field-manager=team-a -f -", Manifest("red")));
        var (exit, stdout, stderr) = await k.RunAsync("apply --server-side --field-manager=team-b -f -", Manifest("blue"));
        Assert.NotEqual(0, exit);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"team-a\": .data.color", stderr + stdout);
        Assert.Equal("red", await k.OkAsync($"-n {ns} get configmap settings -o jsonpath={{.data.color}}"));

        Assert.Contains("serverside-applied", await k.OkAsync("apply --server-side --force-conflicts --field-manager=team-b -f -", Manifest("blue")));
        Assert.Equal("blue", await k.OkAsync($"-n {ns} get configmap settings -o jsonpath={{.data.color}}"));
        Assert.Equal("team-b", await k.OkAsync($"-n {ns} get configmap settings -o jsonpath={{.metadata.managedFields[?(@.fieldsV1.f:data)].manager}}"));
    }
}
