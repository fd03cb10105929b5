using System.Text.Json.Nodes;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

/// <summary>Reads the repository's deploy/ manifests (the operator's real CRD) as JSON.</summary>
public static class Manifests
{
    public static string CrdPath => Path.Combine(ApiServerFixture.RepoRoot(), "deploy", "base", "crds", "quay.redhat.com_quayintegrations.yaml");
    public static string SamplePath => Path.Combine(ApiServerFixture.RepoRoot(), "deploy", "samples", "quayintegration.yaml");

    public static JsonObject ReadYaml(string path) => YamlJson.LoadSingle(File.ReadAllText(path));

    /// <summary>Installs the operator's CRD through the apiextensions API (never a hard-coded kind).</summary>
    public static async Task InstallCrdAsync(ApiServerFixture f)
    {
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", ReadYaml(CrdPath).ToJsonString());
        Assert.True(code is 201 or 409, body?.ToJsonString());
    }
}
