using System.Text.Json.Nodes;
using System.Text;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Builds;
using QuayIntegration.Emulators.Cluster.Controllers;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>The pure pieces of the build runner and allocation controller: reference parsing, keyring matching, MCS labels.</summary>
public sealed class RegistryHelpersTests
{
    [Theory]
    [InlineData("quay.example.com/org/repo:v1", "quay.example.com", "org/repo", "v1", null)]
    [InlineData("127.0.0.1:8443/org/repo", "127.0.0.1:8443", "org/repo", "latest", null)]
    [InlineData("localhost/a/b/c:t", "localhost", "a/b/c", "t", null)]
    [InlineData("httpd", "docker.io", "httpd", "latest", null)]
    [InlineData("library/httpd:2.4", "docker.io", "library/httpd", "2.4", null)]
    [InlineData("quay.io/org/repo@sha256:abc", "quay.io", "org/repo", null, "sha256:abc")]
    public void ImageReference_SplitsLikeDocker(string pullSpec, string registry, string repository, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(pullSpec);
        Assert.Equal((registry, repository, tag, digest), (reference.Registry, reference.Repository, reference.Tag, reference.Digest));
    }

    [Fact]
    public void DockerConfigJson_MostSpecificMatchingEntryWins()
    {
        var secret = DockerConfigJson("robots", new JsonObject
        {
            ["auths"] = new JsonObject
            {
                ["quay.example.com"] = new JsonObject { ["auth"] = Basic("org+any", "t1") },
                ["https://quay.example.com/org/repo"] = new JsonObject { ["username"] = "org+repo", ["password"] = "t2" },
                ["other.example.com"] = new JsonObject { ["auth"] = Basic("x", "y") },
            },
        }.ToJsonString());

        Assert.Equal(new RegistryCredential("org+repo", "t2", "robots"), DockerCredentials.Find(secret, ImageReference.Parse("quay.example.com/org/repo:1")));
        Assert.Equal(new RegistryCredential("org+any", "t1", "robots"), DockerCredentials.Find(secret, ImageReference.Parse("quay.example.com/org/other:1")));
        Assert.Null(DockerCredentials.Find(secret, ImageReference.Parse("elsewhere.example.com/org/repo:1")));
        Assert.True(DockerCredentials.HasEntryFor(secret, ImageReference.Parse("other.example.com/a/b")));
    }

    [Fact]
    public void LegacyDockerCfg_IsReadToo_AndGarbageHoldsNoCredentials()
    {
        var legacy = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "legacy" },
            Type = DockerCredentials.DockerCfgType,
            Data = new Dictionary<string, byte[]> { [".dockercfg"] = Encoding.UTF8.GetBytes(new JsonObject { ["registry.local:5000"] = new JsonObject { ["auth"] = Basic("u", "p:with:colons") } }.ToJsonString()) },
        };
        Assert.Equal(new RegistryCredential("u", "p:with:colons", "legacy"), DockerCredentials.Find(legacy, ImageReference.Parse("registry.local:5000/ns/is:tag")));

        var garbage = DockerConfigJson("garbage", "not json");
        Assert.Null(DockerCredentials.Find(garbage, ImageReference.Parse("registry.local:5000/ns/is:tag")));
        Assert.False(DockerCredentials.HasEntryFor(garbage, ImageReference.Parse("registry.local:5000/ns/is:tag")));
    }

    [Fact]
    public void McsLabels_AreDistinctPairs_HigherCategoryFirst()
    {
        Assert.Equal("s0:c1,c0", NamespaceSecurityAllocationController.McsLabel(0));
        Assert.Equal("s0:c2,c0", NamespaceSecurityAllocationController.McsLabel(1));
        Assert.Equal("s0:c2,c1", NamespaceSecurityAllocationController.McsLabel(2));
        var labels = Enumerable.Range(0, 5000).Select(NamespaceSecurityAllocationController.McsLabel).ToList();
        Assert.Equal(labels.Count, labels.Distinct().Count());
    }

    [Fact]
    public void SyntheticImages_AreWellFormed_AndDifferPerBuild()
    {
        var now = DateTimeOffset.UtcNow;
        var first = SyntheticImage.ForBuild("ns", "app-1", "uid-1", now);
        var second = SyntheticImage.ForBuild("ns", "app-2", "uid-2", now);
        Assert.NotEqual(first.Digest, second.Digest);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(first.Manifest)!;
        Assert.Equal(first.Config.Digest, (string?)manifest["config"]!["digest"]);
        Assert.Equal(first.Layer.Digest, (string?)manifest["layers"]![0]!["digest"]);
        Assert.Equal(first.Layer.Content.Length, (int)manifest["layers"]![0]!["size"]!);
    }

    private static string Basic(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static V1Secret DockerConfigJson(string name, string json) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Type = DockerCredentials.DockerConfigJsonType,
        Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = Encoding.UTF8.GetBytes(json) },
    };
}
