using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

public sealed class DiscoveryTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Manifests.InstallCrdAsync(f);
    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Aggregated_discovery_requests_get_plain_json_so_clients_fall_back()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/apis");
        request.Headers.Accept.ParseAdd("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
        var response = await f.Http.SendAsync(request);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        var groups = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("APIGroupList", (string?)groups["kind"]);
        Assert.Contains(groups["groups"]!.AsArray(), g => (string?)g!["name"] == "build.openshift.io" && (string?)g["preferredVersion"]!["groupVersion"] == "build.openshift.io/v1");
        var core = (await f.SendAsync(HttpMethod.Get, "/api")).Body!;
        Assert.Equal("v1", (string?)core["versions"]![0]);
        var version = (await f.SendAsync(HttpMethod.Get, "/version")).Body!;
        Assert.Equal("1", (string?)version["major"]);
    }

    [Fact]
    public async Task Discovery_lists_subresources_and_create_only_resources()
    {
        var core = (await f.SendAsync(HttpMethod.Get, "/api/v1")).Body!["resources"]!.AsArray();
        Assert.Contains(core, r => (string?)r!["name"] == "namespaces/finalize" && r["verbs"]!.AsArray().Select(v => (string)v!).SequenceEqual(["update"]));
        Assert.Contains(core, r => (string?)r!["name"] == "namespaces/status");
        var image = (await f.SendAsync(HttpMethod.Get, "/apis/image.openshift.io/v1")).Body!["resources"]!.AsArray();
        Assert.Contains(image, r => (string?)r!["name"] == "imagestreamimports" && r["verbs"]!.AsArray().Select(v => (string)v!).SequenceEqual(["create"]));
        var build = (await f.SendAsync(HttpMethod.Get, "/apis/build.openshift.io/v1")).Body!["resources"]!.AsArray();
        Assert.Contains(build, r => (string?)r!["name"] == "buildconfigs/instantiate");
        Assert.Contains(build, r => (string?)r!["name"] == "builds/details");
    }

    /// <summary>What the namespace controller does: list and delete every namespaced resource discovery offers.</summary>
    [Fact]
    public async Task Every_discovered_namespaced_resource_can_be_listed_and_collection_deleted()
    {
        var ns = await f.CreateNamespaceAsync("disc");
        var groupVersions = new List<string> { "api/v1" };
        foreach (var g in (await f.SendAsync(HttpMethod.Get, "/apis")).Body!["groups"]!.AsArray())
            groupVersions.AddRange(g!["versions"]!.AsArray().Select(v => "apis/" + (string)v!["groupVersion"]!));
        var checkedResources = 0;
        foreach (var gv in groupVersions)
        {
            foreach (var r in (await f.SendAsync(HttpMethod.Get, "/" + gv)).Body!["resources"]!.AsArray())
            {
                var name = (string)r!["name"]!;
                if (name.Contains('/') || !(bool)r["namespaced"]!) continue;
                var verbs = r["verbs"]!.AsArray().Select(v => (string)v!).ToList();
                if (verbs.Contains("list")) Assert.Equal(200, (await f.SendAsync(HttpMethod.Get, $"/{gv}/namespaces/{ns}/{name}")).Code);
                if (verbs.Contains("deletecollection")) Assert.Equal(200, (await f.SendAsync(HttpMethod.Delete, $"/{gv}/namespaces/{ns}/{name}")).Code);
                checkedResources++;
            }
        }
        Assert.True(checkedResources >= 10);
    }

    [Fact]
    public async Task OpenApi_v3_publishes_the_crd_schema_and_fieldValidation_support()
    {
        var index = (await f.SendAsync(HttpMethod.Get, "/openapi/v3")).Body!;
        var url = (string)index["paths"]!["apis/quay.redhat.com/v1"]!["serverRelativeURL"]!;
        Assert.StartsWith("/openapi/v3/apis/quay.redhat.com/v1?hash=", url);
        var doc = (await f.SendAsync(HttpMethod.Get, url)).Body!;
        var schema = doc["components"]!["schemas"]!["com.redhat.quay.v1.QuayIntegration"]!;
        Assert.Equal("QuayIntegration", (string?)schema["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.Equal("^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$", (string?)schema["properties"]!["spec"]!["properties"]!["quayHostname"]!["pattern"]);
        var patch = doc["paths"]!["/apis/quay.redhat.com/v1/quayintegrations/{name}"]!["patch"]!;
        Assert.Contains(patch["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation");
        Assert.Equal("QuayIntegration", (string?)patch["x-kubernetes-group-version-kind"]!["kind"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        request.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        var v2 = await f.Http.SendAsync(request);
        Assert.Equal(200, (int)v2.StatusCode);
        Assert.Equal(0x0A, (await v2.Content.ReadAsByteArrayAsync())[0]); // field 1 (swagger), length-delimited
    }
}
