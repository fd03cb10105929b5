using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>core/v1 ServiceAccount: <c>secrets</c> merges by name under strategic merge patch; <c>imagePullSecrets</c> is atomic.</summary>
public sealed class ServiceAccountStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["secrets", "imagePullSecrets", "automountServiceAccountToken"];
    private static readonly StrategicMergeSchema Schema = StrategicMergeSchema.Common.With(("secrets", "name"));
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override StrategicMergeSchema? MergeSchema => Schema;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Secrets", "integer", "", "Number of secrets", 0, o => (o["secrets"] as JsonArray)?.Count ?? 0)];
}
