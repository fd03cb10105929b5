namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// RBAC object names are only path segments (pkg/apis/rbac/validation ValidateRBACName = path.IsValidPathSegmentName),
/// which is why <c>system:discovery</c> is a valid ClusterRole name.
/// </summary>
public static class RbacNames
{
    public static string? Validate(string name)
    {
        if (name is "." or "..") return $"may not be '{name}'";
        foreach (var bad in new[] { "/", "%" })
            if (name.Contains(bad, StringComparison.Ordinal)) return $"may not contain '{bad}'";
        return null;
    }
}
