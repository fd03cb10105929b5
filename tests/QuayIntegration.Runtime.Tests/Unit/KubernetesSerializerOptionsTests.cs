using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;
using QuayIntegration.Runtime.Kube;
using Xunit;

namespace QuayIntegration.Runtime.Tests.Unit;

public sealed partial class KubernetesSerializerOptionsTests
{
    [Fact]
    public void A_type_no_context_describes_is_refused_rather_than_read_through_reflection()
    {
        // Under Native AOT reflection metadata can be missing at run time; refusing it under the JIT too is what lets
        // the test suite prove that every type the operator sends or reads has source-generated metadata.
        var e = Assert.Throws<NotSupportedException>(() => KubernetesSerializerOptions.Serialize(new Undescribed { Name = "x" }));
        Assert.Contains(nameof(Undescribed), e.Message);
    }

    [Fact]
    public void A_Kubernetes_model_nobody_registered_is_refused_too_so_KubernetesClients_context_of_all_models_is_never_consulted()
    {
        // Looking a type up in that context loads all 1,199 models (tens of milliseconds and megabytes at start) and
        // keeps them all in a trimmed build; the operator names the few it uses.
        var e = Assert.Throws<NotSupportedException>(() => KubernetesSerializerOptions.Serialize(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" } }));
        Assert.Contains(nameof(V1Pod), e.Message);
    }

    [Fact]
    public void Kubernetes_models_keep_the_API_servers_conventions()
    {
        var ns = new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = "team-a", CreationTimestamp = new DateTime(2026, 12, 2, 8, 0, 0, DateTimeKind.Utc) },
        };
        var json = KubernetesSerializerOptions.Serialize(ns);
        Assert.Equal("""{"metadata":{"creationTimestamp":"2026-12-02T08:00:00Z","name":"team-a"}}""", json);
        var back = KubernetesSerializerOptions.Deserialize<V1Namespace>("""{"metadata":{"name":"team-a","creationTimestamp":"2026-12-02T08:00:00.123456789Z"}}""");
        Assert.Equal("team-a", back.Metadata.Name);
        Assert.Equal(1234567, back.Metadata.CreationTimestamp!.Value.Ticks % TimeSpan.TicksPerSecond);
    }

    [Fact]
    public void ManagedFields_are_skipped_when_read_and_never_written()
    {
        // Server-side apply's bookkeeping sits between fields the operator reads; skipping it must leave them whole.
        const string json = """
            {"metadata":{"name":"builder","managedFields":[{"manager":"kube-controller-manager","operation":"Update",
            "apiVersion":"v1","time":"2026-12-02T08:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:secrets":{".":{},
            "k:{\"name\":\"builder-dockercfg-x7k2p\"}":{}}}}],"labels":{"app":"demo"},"resourceVersion":"7"},
            "secrets":[{"name":"builder-dockercfg-x7k2p"}]}
            """;
        var account = KubernetesSerializerOptions.Deserialize<V1ServiceAccount>(json);
        Assert.Null(account.Metadata.ManagedFields);
        Assert.Equal(("builder", "7", "demo"), (account.Metadata.Name, account.Metadata.ResourceVersion, account.Metadata.Labels["app"]));
        Assert.Equal("builder-dockercfg-x7k2p", Assert.Single(account.Secrets).Name);

        account.Metadata.ManagedFields = [new V1ManagedFieldsEntry { Manager = "someone", Operation = "Update" }];
        Assert.DoesNotContain("managedFields", KubernetesSerializerOptions.Serialize(account), StringComparison.Ordinal);
    }

    [Fact]
    public void A_context_added_by_a_program_describes_its_types_with_the_same_conventions()
    {
        KubernetesSerializerOptions.AddTypeInfoResolver(ProgramTypesContext.Default);
        var json = KubernetesSerializerOptions.Serialize(new ProgramType { DisplayName = "a", Missing = null });
        Assert.Equal("""{"displayName":"a"}""", json);
        Assert.Equal("b", KubernetesSerializerOptions.Deserialize<ProgramType>("""{"displayName":"b"}""").DisplayName);
    }

    public sealed class Undescribed
    {
        public string? Name { get; set; }
    }

    public sealed class ProgramType
    {
        public string? DisplayName { get; set; }
        public string? Missing { get; set; }
    }

    [JsonSerializable(typeof(ProgramType))]
    internal sealed partial class ProgramTypesContext : JsonSerializerContext;
}
