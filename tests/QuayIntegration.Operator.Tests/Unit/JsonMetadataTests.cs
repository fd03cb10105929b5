using System.Reflection;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// Every type the operator sends to or reads from the API server or Quay has source-generated JSON metadata. Neither
/// set of options falls back to reflection, so a missing type would also fail the first test that sends it; these
/// catch one that no test happens to send.
/// </summary>
public sealed class JsonMetadataTests
{
    private static readonly Assembly Operator = typeof(QuayIntegrationResource).Assembly;

    public static TheoryData<string> ApiTypes() => new(Operator.GetTypes()
        .Where(t => t.Namespace == typeof(QuayIntegrationResource).Namespace && typeof(IKubernetesObject<V1ObjectMeta>).IsAssignableFrom(t))
        .Select(t => t.FullName!));

    public static TheoryData<string> QuayTypes() => new(Operator.GetTypes()
        .Where(t => t.Namespace == typeof(QuayUser).Namespace && t.IsPublic && !t.IsAbstract
                    && t.GetProperties().Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null))
        .Select(t => t.FullName!));

    [Theory]
    [MemberData(nameof(ApiTypes))]
    public void Each_API_type_has_metadata_under_the_API_servers_conventions(string name)
    {
        var type = Operator.GetType(name)!;
        var info = KubernetesSerializerOptions.Value.GetTypeInfo(type);
        Assert.Contains(info.Properties, p => p.Name == "metadata");
        Assert.Contains(info.Properties, p => p.Name == "apiVersion");
    }

    [Theory]
    [MemberData(nameof(QuayTypes))]
    public void Each_Quay_type_has_metadata(string name) =>
        Assert.NotEmpty(QuayJson.Options.GetTypeInfo(Operator.GetType(name)!).Properties);

    [Fact]
    public void The_type_lists_are_not_empty() // a filter that matched nothing would make the theories above vacuous
    {
        Assert.True(ApiTypes().Count >= 5);
        Assert.True(QuayTypes().Count >= 15);
    }
}
