using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Deploy.Tests.Support;
using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// deploy/ as an administrator installs it: every file parses, <c>kubectl apply -k deploy/</c> (the base) and
/// <c>kubectl apply -f deploy/samples/</c> are accepted by the emulated API server (server-side validation, CRD schema
/// pruning), and reading everything back shows what the files say.
/// </summary>
public sealed class ManifestTests : IAsyncLifetime
{
    private KubectlWorld _world = null!;

    public async Task InitializeAsync() => _world = await KubectlWorld.StartAsync("deploy-tests-");

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public void Every_file_parses_into_named_objects_and_the_base_kustomization_lists_every_file_of_the_base()
    {
        var files = Manifests.Files(Repo.Deploy);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var documents = Manifests.Load(file);
            Assert.True(documents.Count > 0, $"{Manifests.Relative(file)} holds no document");
            foreach (var m in documents)
            {
                Assert.True(m.ApiVersion.Length > 0, $"{m}: no apiVersion");
                Assert.True(m.Kind.Length > 0, $"{m}: no kind");
                Assert.True(m.Name.Length > 0, $"{m}: no metadata.name");
            }
        }

        // A file of the base left out of its kustomization.yaml would silently not be installed by any overlay.
        var kustomization = Manifests.Load(Path.Combine(Repo.Base, "kustomization.yaml")).Single().Body;
        var listed = kustomization["resources"]!.AsArray().Select(r => Path.GetFullPath(Path.Combine(Repo.Base, (string)r!))).ToHashSet();
        var expected = Manifests.Files(Repo.Base).ToHashSet();
        Assert.True(expected.SetEquals(listed),
            $"deploy/base/kustomization.yaml resources {string.Join(", ", listed.Select(Manifests.Relative))} differ from the files {string.Join(", ", expected.Select(Manifests.Relative))}");
    }

    [Fact]
    public async Task Kubectl_installs_deploy_and_the_samples_and_reading_back_shows_what_was_applied()
    {
        // deploy/ is the base: what `kubectl apply -k deploy/` installs is what kustomize renders from it.
        var installed = Manifests.Parse(await _world.Kubectl.RunAsync("kustomize", "deploy/"), "kubectl kustomize deploy/");
        var baseOnly = Manifests.Parse(await _world.Kubectl.RunAsync("kustomize", "deploy/base"), "kubectl kustomize deploy/base");
        Assert.Equal(baseOnly.Select(m => m.Body.ToJsonString()), installed.Select(m => m.Body.ToJsonString()));
        var applied = await _world.Kubectl.RunAsync("apply", "-k", "deploy/");
        foreach (var m in installed)
            Assert.Contains($"{m.Name} created", applied.Replace("\r", ""));

        // The CRD is served as soon as it is stored: the sample applies right after, and its schema prunes nothing.
        await _world.Kubectl.RunAsync("apply", "-f", "deploy/samples/");
        var samples = Manifests.Files(Path.Combine(Repo.Deploy, "samples")).SelectMany(Manifests.Load).ToList();
        Assert.NotEmpty(samples);

        // Everything read back through kubectl holds every field the files set (the server only adds defaults).
        var stored = Objects(await _world.Kubectl.RunAsync("get", "-k", "deploy/", "-o", "json"))
            .Concat(Objects(await _world.Kubectl.RunAsync("get", "-f", "deploy/samples/", "-o", "json"))).ToList();
        foreach (var m in installed.Concat(samples))
        {
            var live = stored.SingleOrDefault(s => (string?)s["kind"] == m.Kind && (string?)s["metadata"]!["name"] == m.Name && (string?)s["metadata"]!["namespace"] == m.Namespace);
            Assert.True(live is not null, $"{m} was not read back");
            var missing = Manifests.Missing(m.Body, live).ToList();
            Assert.True(missing.Count == 0, $"{m} as stored differs from the file:\n{string.Join("\n", missing)}");
        }

        // The CRD's resource is served: kubectl finds it through discovery and lists the sample.
        var table = await _world.Kubectl.RunAsync("get", "quayintegrations.quay.redhat.com");
        Assert.Contains(samples.Single(s => s.Kind == "QuayIntegration").Name, table);

        // The webhook configuration is stored with its rules, so the API server will call the operator for builds.
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(_world.Directory, "kubeconfig")));
        var webhook = Assert.Single((await client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("quay-integration")).Webhooks);
        var rule = Assert.Single(webhook.Rules);
        Assert.Equal(["CREATE"], rule.Operations);
        Assert.Equal(["build.openshift.io"], rule.ApiGroups);
        Assert.Equal(["builds"], rule.Resources);
        Assert.Equal("quay-integration", webhook.ClientConfig.Service.NamespaceProperty);

        // Applying again changes nothing: the files are stable under the server's defaulting.
        // The one exception is kubectl's own: PodDisruptionBudget's spec.selector has patch strategy "replace", so kubectl
        // always sends it in the patch and reports the PDB "configured", though nothing changes (its generation stays 1).
        var again = await _world.Kubectl.RunAsync("apply", "-k", "deploy/");
        foreach (var line in again.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.True(line.EndsWith(" unchanged", StringComparison.Ordinal) || line == "poddisruptionbudget.policy/quay-integration configured",
                $"second apply changed something: {line}");
        var pdb = Objects(await _world.Kubectl.RunAsync("get", "-n", "quay-integration", "poddisruptionbudget", "quay-integration", "-o", "json")).Single();
        Assert.Equal("1", pdb["metadata"]!["generation"]!.ToJsonString());
    }

    /// <summary>kubectl prints a List for several objects and the object itself for one.</summary>
    private static IEnumerable<JsonObject> Objects(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        return (string?)node["kind"] == "List" ? node["items"]!.AsArray().Select(i => i!.AsObject()) : [node];
    }
}
