using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>ImageStreams, ImageStreamTags and ImageStreamImports against a real HTTPS registry with token auth.</summary>
public sealed class OpenShiftImageTests : IAsyncLifetime
{
    private const string Group = "image.openshift.io";
    private readonly ApiServerFixture _f = new();
    private TestRegistry _registry = null!;
    private KubernetesApiServer? _untrusting;

    public async Task InitializeAsync()
    {
        _registry = await TestRegistry.StartAsync();
        await _f.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _f.DisposeAsync();
        if (_untrusting is not null) await _untrusting.DisposeAsync();
        await _registry.DisposeAsync();
    }

    private k8s.Kubernetes K => _f.Client;

    /// <summary>The API server trusts the registry's CA through its options, as a cluster-wide additional trust bundle.</summary>
    private async Task<(ApiServerFixture F, string Ns)> ReadyAsync()
    {
        _f.Server.Options.RegistryCaCertificatesPem.Add(_registry.CaPem);
        return (_f, await _f.CreateNamespaceAsync("img"));
    }

    private async Task AddPullSecretAsync(string ns, string user, string password)
    {
        var config = new JsonObject { ["auths"] = new JsonObject { [_registry.Host] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) } } };
        await K.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "default-quay-openshift" }, Type = "kubernetes.io/dockerconfigjson",
            Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = Encoding.UTF8.GetBytes(config.ToJsonString()) },
        }, ns);
    }

    private JsonObject Import(string stream, string from, string tag, bool import = true, string? resourceVersion = null, string? uid = null) => new()
    {
        ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStreamImport",
        ["metadata"] = new JsonObject { ["name"] = stream, ["resourceVersion"] = resourceVersion, ["uid"] = uid },
        ["spec"] = new JsonObject
        {
            ["import"] = import,
            ["images"] = new JsonArray(new JsonObject
            {
                ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = from },
                ["to"] = new JsonObject { ["name"] = tag },
                ["importPolicy"] = new JsonObject { ["scheduled"] = false },
                ["referencePolicy"] = new JsonObject { ["type"] = "Local" },
            }),
        },
    };

    /// <summary>
    /// ImageStream names follow OpenShift's image validation, not the DNS subdomain rule: one Docker repository name
    /// component (underscores allowed, doubled or leading separators not), and namespace/name within 255 characters.
    /// </summary>
    [Fact]
    public async Task ImageStream_names_are_docker_repository_components()
    {
        var (f, ns) = await ReadyAsync();
        async Task<int> CreateAsync(string name)
        {
            var stream = new JsonObject { ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = name } };
            var (code, _, _) = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams", stream.ToJsonString());
            return code;
        }
        foreach (var valid in new[] { "my_app", "a.b", "app-1", "x" }) Assert.Equal(201, await CreateAsync(valid));
        foreach (var invalid in new[] { "a--b", "a__b", "-a", "a.", "My", "a/b", ".." }) Assert.Equal(422, await CreateAsync(invalid));
        Assert.Equal(422, await CreateAsync(new string('a', 256 - ns.Length)));
        Assert.Equal(201, await CreateAsync(new string('a', 255 - ns.Length - 1)));
    }

    [Fact]
    public async Task ImageStream_status_repository_is_computed_and_generation_tracks_spec()
    {
        var (f, ns) = await ReadyAsync();
        var stream = new JsonObject { ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "app" },
            ["status"] = new JsonObject { ["dockerImageRepository"] = "spoofed" } };
        var created = Objects.Node(await K.CustomObjects.CreateNamespacedCustomObjectAsync(stream, Group, "v1", ns, "imagestreams"));
        Assert.Equal($"image-registry.openshift-image-registry.svc:5000/{ns}/app", (string?)created["status"]!["dockerImageRepository"]);
        Assert.Equal(1, (long)created["metadata"]!["generation"]!);
        var patched = Objects.Node(await K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(
            "{\"spec\":{\"tags\":[{\"name\":\"latest\",\"from\":{\"kind\":\"DockerImage\",\"name\":\"quay.example.com/o/app:latest\"}}]}}", V1Patch.PatchType.StrategicMergePatch), Group, "v1", ns, "imagestreams", "app"));
        Assert.Equal(2, (long)patched["metadata"]!["generation"]!);
        Assert.Equal(2, (long)patched["spec"]!["tags"]![0]!["generation"]!);
    }

    [Fact]
    public async Task Import_resolves_with_the_namespace_pull_secret_and_rewrites_the_stream()
    {
        var (f, ns) = await ReadyAsync();
        var digest = _registry.AddImage("org/app", "v1");
        _registry.AddUser("org+robot", "secret", "org/app");
        await AddPullSecretAsync(ns, "org+robot", "secret");

        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", Import("app", $"{_registry.Host}/org/app:v1", "v1").ToJsonString());
        Assert.Equal(201, code);
        var image = body!["status"]!["images"]![0]!;
        Assert.Equal("Success", (string?)image["status"]!["status"]);
        Assert.Equal(digest, (string?)image["image"]!["metadata"]!["name"]);
        var stream = body["status"]!["import"]!;
        Assert.Equal("DockerImage", (string?)stream["spec"]!["tags"]![0]!["from"]!["kind"]);
        Assert.Equal("Local", (string?)stream["spec"]!["tags"]![0]!["referencePolicy"]!["type"]);
        var item = stream["status"]!["tags"]![0]!["items"]![0]!;
        Assert.Equal($"{_registry.Host}/org/app@{digest}", (string?)item["dockerImageReference"]);
        Assert.Equal(digest, (string?)item["image"]);
        Assert.NotNull(stream["metadata"]!["annotations"]!["openshift.io/image.dockerRepositoryCheck"]);

        // The tag is now visible as an ImageStreamTag (read-only view).
        var istag = Objects.Node(await K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreamtags", "app:v1"));
        Assert.Equal(digest, (string?)istag["image"]!["metadata"]!["name"]);
        var write = await f.SendAsync(HttpMethod.Delete, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamtags/app:v1");
        Assert.Equal(405, write.Code);

        // Newer images are prepended (newest first).
        var newer = _registry.AddImage("org/app", "v1");
        var again = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", Import("app", $"{_registry.Host}/org/app:v1", "v1").ToJsonString());
        var items = again.Body!["status"]!["import"]!["status"]!["tags"]![0]!["items"]!.AsArray();
        Assert.Equal([newer, digest], items.Select(i => (string)i!["image"]!));
    }

    /// <summary>
    /// openshift-apiserver writes an import against the stream it read when the request began (imagestreamimport
    /// rest.go: one read, then Create or Update with that read's resourceVersion): a change made while the registry is
    /// queried is a 409, a stream deleted meanwhile a 404 and not made again, and an import that changes nothing in a
    /// stream checked before writes nothing. (The emulator read the stream again after the registry answered and merged
    /// the import into whatever it found, deleted streams made again, and wrote a new resourceVersion every time.)
    /// </summary>
    [Fact]
    public async Task An_import_is_written_against_the_stream_read_when_it_began()
    {
        var (f, ns) = await ReadyAsync();
        _registry.AddImage("org/app", "v1");
        _registry.AddUser("org+robot", "secret", "org/app");
        await AddPullSecretAsync(ns, "org+robot", "secret");
        var path = $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports";
        Assert.Equal(201, (await f.SendAsync(HttpMethod.Post, path, Import("app", $"{_registry.Host}/org/app:v1", "v1").ToJsonString())).Code);
        var checkedOnce = Objects.Node(await K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreams", "app"));

        // Nothing new in the registry: nothing written.
        Assert.Equal(201, (await f.SendAsync(HttpMethod.Post, path, Import("app", $"{_registry.Host}/org/app:v1", "v1").ToJsonString())).Code);
        var unchanged = Objects.Node(await K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreams", "app"));
        Assert.Equal((string?)checkedOnce["metadata"]!["resourceVersion"], (string?)unchanged["metadata"]!["resourceVersion"]);

        // Someone labels the stream while the registry is queried: the import's write conflicts.
        _registry.AddImage("org/app", "v1");
        _registry.BeforeManifest = async () =>
        {
            _registry.BeforeManifest = null;
            await K.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"labels":{"team":"a"}}}""", V1Patch.PatchType.MergePatch),
                Group, "v1", ns, "imagestreams", "app");
        };
        Assert.Equal(409, (await f.SendAsync(HttpMethod.Post, path, Import("app", $"{_registry.Host}/org/app:v1", "v1").ToJsonString())).Code);
        var labelled = Objects.Node(await K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreams", "app"));
        Assert.Single(labelled["status"]!["tags"]![0]!["items"]!.AsArray());

        // Deleted while the registry is queried: 404, and not made again.
        _registry.BeforeManifest = async () =>
        {
            _registry.BeforeManifest = null;
            await K.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreams", "app");
        };
        Assert.Equal(404, (await f.SendAsync(HttpMethod.Post, path, Import("app", $"{_registry.Host}/org/app:v1", "v1").ToJsonString())).Code);
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreams", "app"));
    }

    /// <summary>
    /// OpenShift 3.x refused to schedule the import of a digest ("only tags can be scheduled for import"); OpenShift 4
    /// accepts it, in ImageStream spec tags and in ImageStreamImports alike (openshift-apiserver #28 and #29, 2019, so
    /// that scheduled import retries a digest that failed to import).
    /// </summary>
    [Fact]
    public async Task Scheduled_imports_of_a_digest_are_accepted_as_by_OpenShift_4()
    {
        var (f, ns) = await ReadyAsync();
        var pinned = $"{_registry.Host}/org/app@sha256:{new string('a', 64)}";
        var scheduled = new JsonObject { ["scheduled"] = true };
        var stream = new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "pinned" },
            ["spec"] = new JsonObject { ["tags"] = new JsonArray(new JsonObject
            {
                ["name"] = "v1", ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = pinned }, ["importPolicy"] = scheduled.DeepClone(),
            }) },
        };
        Assert.Equal(201, (await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams", stream.ToJsonString())).Code);

        var import = Import("imported", pinned, "v1");
        import["spec"]!["images"]![0]!["importPolicy"] = scheduled.DeepClone();
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", import.ToJsonString());
        Assert.Equal(201, code); // the digest does not exist: the image fails, the request does not
        Assert.True((bool)body!["status"]!["import"]!["spec"]!["tags"]![0]!["importPolicy"]!["scheduled"]!);
    }

    [Fact]
    public async Task Failed_imports_still_answer_201_and_record_a_condition()
    {
        var (f, ns) = await ReadyAsync();
        _registry.AddImage("org/private", "v1");
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", Import("priv", $"{_registry.Host}/org/private:v1", "v1").ToJsonString());
        Assert.Equal(201, code);
        Assert.Equal("Failure", (string?)body!["status"]!["images"]![0]!["status"]!["status"]);
        Assert.Equal("Unauthorized", (string?)body["status"]!["images"]![0]!["status"]!["reason"]);
        var condition = body["status"]!["import"]!["status"]!["tags"]![0]!["conditions"]![0]!;
        Assert.Equal("ImportSuccess", (string?)condition["type"]);
        Assert.Equal("False", (string?)condition["status"]);
    }

    [Fact]
    public async Task ImageStreamImport_is_create_only_and_resourceVersion_and_uid_are_preconditions()
    {
        var (f, ns) = await ReadyAsync();
        Assert.Equal(405, (await f.SendAsync(HttpMethod.Get, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports")).Code);
        var missing = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", Import("nostream", "quay.example.com/o/x:1", "1", resourceVersion: "5").ToJsonString());
        Assert.Equal(404, missing.Code);
        var stream = Objects.Node(await K.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject { ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "s" } }, Group, "v1", ns, "imagestreams"));
        var stale = await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", Import("s", "quay.example.com/o/x:1", "1", resourceVersion: "1").ToJsonString());
        Assert.Equal(409, stale.Code);
        Assert.Contains($"the image stream was updated from \"1\" to \"{stream["metadata"]!["resourceVersion"]}\"", (string?)stale.Body!["message"]);
        // A uid names the stream: a missing one, or another of that name (deleted and made again), is 404, not created
        // or written to (oas imagestreamimport/rest.go).
        var path = $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports";
        Assert.Equal(404, (await f.SendAsync(HttpMethod.Post, path, Import("nostream", "quay.example.com/o/x:1", "1", uid: "3f1c0b7e-0000-4000-8000-000000000001").ToJsonString())).Code);
        Assert.Equal(404, (await f.SendAsync(HttpMethod.Post, path, Import("s", "quay.example.com/o/x:1", "1", uid: "3f1c0b7e-0000-4000-8000-000000000002").ToJsonString())).Code);
        await K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreams", "s");
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => K.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", ns, "imagestreams", "nostream"));
        var neither = new JsonObject { ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStreamImport", ["metadata"] = new JsonObject { ["name"] = "s" }, ["spec"] = new JsonObject { ["import"] = true } };
        Assert.Equal(422, (await f.SendAsync(HttpMethod.Post, $"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", neither.ToJsonString())).Code);
    }

    [Fact]
    public async Task Registry_trust_comes_from_options_and_insecure_skips_verification()
    {
        _untrusting = await KubernetesApiServer.StartAsync(new ApiServerOptions());
        using var http = ApiServerFixture.CreateHttpClient(_untrusting.CaCertificatePem, _untrusting.BaseUrl, _untrusting.AdminToken);
        _registry.AddImage("library/public", "1");
        _registry.AddUser("anon", "x", "library/public");
        var import = Import("pub", $"{_registry.Host}/library/public:1", "1");
        import["spec"]!["images"]![0]!["importPolicy"]!["insecure"] = false;
        var ns = "default";
        var secure = await http.PostAsync($"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", new StringContent(import.ToJsonString(), Encoding.UTF8, "application/json"));
        var secureBody = JsonNode.Parse(await secure.Content.ReadAsStringAsync())!;
        Assert.Equal("Failure", (string?)secureBody["status"]!["images"]![0]!["status"]!["status"]);

        import["spec"]!["images"]![0]!["importPolicy"]!["insecure"] = true;
        var insecure = await http.PostAsync($"/apis/image.openshift.io/v1/namespaces/{ns}/imagestreamimports", new StringContent(import.ToJsonString(), Encoding.UTF8, "application/json"));
        var insecureBody = JsonNode.Parse(await insecure.Content.ReadAsStringAsync())!;
        // TLS now passes; the anonymous token has no grant on the repository, so the registry says 401.
        Assert.Equal("Unauthorized", (string?)insecureBody["status"]!["images"]![0]!["status"]!["reason"]);
    }

    [Fact]
    public async Task Projects_come_from_project_requests_with_annotations_and_reserved_names_are_forbidden()
    {
        var (f, _) = await ReadyAsync();
        var request = new JsonObject { ["apiVersion"] = "project.openshift.io/v1", ["kind"] = "ProjectRequest", ["metadata"] = new JsonObject { ["name"] = "team-a" }, ["displayName"] = "Team A" };
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, "/apis/project.openshift.io/v1/projectrequests", request.ToJsonString());
        Assert.Equal(201, code);
        Assert.Equal("Project", (string?)body!["kind"]);
        var annotations = body["metadata"]!["annotations"]!;
        Assert.Equal("Team A", (string?)annotations["openshift.io/display-name"]);
        Assert.Equal("", (string?)annotations["openshift.io/description"]);
        Assert.Equal("system:admin", (string?)annotations["openshift.io/requester"]);
        var ns = await K.CoreV1.ReadNamespaceAsync("team-a");
        Assert.Equal("Team A", ns.Metadata.Annotations["openshift.io/display-name"]);
        Assert.Equal(["openshift.io/origin", "kubernetes"], ns.Spec.Finalizers);
        Assert.Equal("Project", (string?)(await f.SendAsync(HttpMethod.Get, "/apis/project.openshift.io/v1/projects/team-a")).Body!["kind"]);
        using (var watch = await f.Http.GetAsync("/apis/project.openshift.io/v1/projects?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dteam-a", HttpCompletionOption.ResponseHeadersRead))
        {
            var text = await watch.Content.ReadAsStringAsync();
            var first = JsonNode.Parse(text.Split('\n')[0])!;
            Assert.True(first["type"] is not null, text);
            Assert.Equal("ADDED", (string?)first["type"]);
            Assert.Equal("Project", (string?)first["object"]!["kind"]);
        }

        foreach (var reserved in new[] { "openshift", "kube-foo", "openshift-bar" })
        {
            request["metadata"]!["name"] = reserved;
            var refused = await f.SendAsync(HttpMethod.Post, "/apis/project.openshift.io/v1/projectrequests", request.ToJsonString());
            Assert.Equal(403, refused.Code);
        }
        request["metadata"]!["name"] = "team-a";
        Assert.Equal(409, (await f.SendAsync(HttpMethod.Post, "/apis/project.openshift.io/v1/projectrequests", request.ToJsonString())).Code);
    }
}
