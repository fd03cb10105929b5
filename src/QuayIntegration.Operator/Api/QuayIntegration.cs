using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace QuayIntegration.Operator.Api;

/// <summary>The cluster-scoped QuayIntegration custom resource (deploy/base/crds/quay.redhat.com_quayintegrations.yaml).</summary>
public sealed class QuayIntegrationResource : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "quay.redhat.com";
    public const string Version = "v1";
    public const string Plural = "quayintegrations";
    public const string KindName = "QuayIntegration";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = KindName;
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public QuayIntegrationSpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public QuayIntegrationStatus? Status { get; set; }
}

public sealed class QuayIntegrationSpec
{
    [JsonPropertyName("clusterID")] public string? ClusterId { get; set; }
    [JsonPropertyName("credentialsSecret")] public SecretKeyReference? CredentialsSecret { get; set; }
    [JsonPropertyName("quayHostname")] public string? QuayHostname { get; set; }
    [JsonPropertyName("organizationPrefix")] public string? OrganizationPrefix { get; set; }
    [JsonPropertyName("insecureRegistry")] public bool? InsecureRegistry { get; set; }
    [JsonPropertyName("scheduledImageStreamImport")] public bool? ScheduledImageStreamImport { get; set; }
    [JsonPropertyName("allowlistNamespaces")] public List<string>? AllowlistNamespaces { get; set; }
    [JsonPropertyName("denylistNamespaces")] public List<string>? DenylistNamespaces { get; set; }
    [JsonPropertyName("caBundle")] public ConfigMapKeyReference? CaBundle { get; set; }
    [JsonPropertyName("serviceAccounts")] public List<ServiceAccountRole>? ServiceAccounts { get; set; }
    [JsonPropertyName("repositoryDeletionPolicy")] public string? RepositoryDeletionPolicy { get; set; }
    [JsonPropertyName("cleanupPolicy")] public string? CleanupPolicy { get; set; }
    [JsonPropertyName("driftCheckInterval")] public string? DriftCheckInterval { get; set; }
    [JsonPropertyName("robotTokenRotationInterval")] public string? RobotTokenRotationInterval { get; set; }
    [JsonPropertyName("namespaceSelector")] public V1LabelSelector? NamespaceSelector { get; set; }
}

public sealed class SecretKeyReference
{
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("key")] public string? Key { get; set; }
}

public sealed class ConfigMapKeyReference
{
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("key")] public string? Key { get; set; }
}

public sealed class ServiceAccountRole
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("role")] public string Role { get; set; } = "";
}

public sealed class QuayIntegrationStatus
{
    [JsonPropertyName("observedGeneration")] public long? ObservedGeneration { get; set; }
    [JsonPropertyName("syncedNamespaces")] public int? SyncedNamespaces { get; set; }
    [JsonPropertyName("pendingNamespaces")] public int? PendingNamespaces { get; set; }
    [JsonPropertyName("failingNamespaces")] public int? FailingNamespaces { get; set; }
    /// <summary>Namespaces this integration selects that another integration selects too: neither manages them.</summary>
    [JsonPropertyName("conflictingNamespaces")] public int? ConflictingNamespaces { get; set; }
    /// <summary>Always serialized, null included, so that the status merge patch clears an error whose cause is gone.</summary>
    [JsonPropertyName("lastError")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? LastError { get; set; }
    /// <summary>Serialized when null too, so that the status merge patch clears a user no token is accepted as any more.</summary>
    [JsonPropertyName("quayUser")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? QuayUser { get; set; }
    [JsonPropertyName("conditions")] public List<V1Condition>? Conditions { get; set; }
}
