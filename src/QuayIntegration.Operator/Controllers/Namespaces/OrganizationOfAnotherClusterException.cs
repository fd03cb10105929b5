using System.Text.Json;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The namespace's organization holds robots the operator of another cluster made (several clusters share the Quay with
/// the same organization prefix, and each has a namespace of this name). This cluster must never adopt, change or
/// delete what the other made, so the namespace is not synced here until the overlap is resolved.
/// </summary>
public sealed class OrganizationOfAnotherClusterException(string organization, string otherCluster)
    : Exception($"Quay organization {organization} belongs to the QuayIntegration operator of another cluster ({otherCluster}); " +
                "this cluster leaves it alone and does not sync the namespace. Give each cluster its own organizationPrefix")
{
    public string Organization { get; } = organization;
    public string OtherCluster { get; } = otherCluster;

    /// <summary>How another cluster's robot names its cluster: its clusterID when it wrote one, and its identity.</summary>
    public static string ClusterOf(QuayRobot robot)
    {
        string? Read(string field) =>
            robot.Metadata is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var identity = Read("cluster") ?? "unknown";
        return Read("clusterID") is { Length: > 0 } name ? $"clusterID {name}, identity {identity}" : $"identity {identity}";
    }
}
