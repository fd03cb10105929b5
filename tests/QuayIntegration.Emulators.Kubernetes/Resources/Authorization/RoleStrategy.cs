using QuayIntegration.Emulators.Kubernetes.Resources;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>Role and ClusterRole: stored as given (rules, aggregationRule), names validated as RBAC names.</summary>
public sealed class RoleStrategy(bool cluster) : ResourceStrategy
{
    private static readonly HashSet<string> RoleFields = ["rules"];
    private static readonly HashSet<string> ClusterRoleFields = ["rules", "aggregationRule"];
    public override IReadOnlySet<string>? KnownTopLevelFields => cluster ? ClusterRoleFields : RoleFields;
    public override string? ValidateName(string name) => RbacNames.Validate(name);
}
