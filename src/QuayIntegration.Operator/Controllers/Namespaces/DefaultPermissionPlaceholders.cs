using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// A default permission for a robot the operator did not create is recorded before it is created, without the id Quay
/// gives it. If the create landed and its id was never saved (a crash, an answer lost, a record write refused), only
/// Quay can tell: removing such an entry without asking would leave the default permission in Quay for good while an
/// Event said it was deleted.
/// </summary>
internal static class DefaultPermissionPlaceholders
{
    /// <summary>
    /// The id the entry without one stands for: a default permission of <paramref name="robot"/> (for everyone's new
    /// repositories) that no other entry of the record names; null when Quay has none, so the create never landed.
    /// </summary>
    public static async Task<string?> ResolveAsync(QuayClient quay, OrganizationRecord entry, string robot, CancellationToken ct)
    {
        var listed = (await quay.ListPrototypesAsync(entry.Name, ct)).ValueOrThrow("list the default permissions of " + entry.Name)!;
        var recorded = entry.DefaultPermissionsOf(robot).Select(p => p.Id).Where(id => !string.IsNullOrEmpty(id)).ToHashSet(StringComparer.Ordinal);
        return listed.FirstOrDefault(p => p.ActivatingUser is null && p.Delegate?.Name == robot && !recorded.Contains(p.Id))?.Id;
    }
}
