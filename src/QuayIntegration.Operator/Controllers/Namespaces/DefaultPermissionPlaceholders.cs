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
    /// The id of <paramref name="permission"/>; for an entry written ahead without one, the default permission of its
    /// robot (for everyone's new repositories) that no other entry of the record names, saved into the entry. When Quay
    /// has none, the create never landed: the entry goes, and null says there is nothing to delete or tell.
    /// </summary>
    public static async Task<string?> IdOrForgetAsync(QuayClient quay, OrganizationRecord entry, DefaultPermissionRecord permission, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(permission.Id)) return permission.Id;
        var listed = (await quay.ListPrototypesAsync(entry.Name, ct)).ValueOrThrow("list the default permissions of " + entry.Name)!;
        var recorded = entry.DefaultPermissionsOf(permission.Robot).Select(p => p.Id).Where(id => !string.IsNullOrEmpty(id)).ToHashSet(StringComparer.Ordinal);
        var found = listed.FirstOrDefault(p => p.ActivatingUser is null && p.Delegate?.Name == permission.Robot && !recorded.Contains(p.Id))?.Id;
        if (found is null) entry.RemoveDefaultPermission(permission);
        else permission.Id = found;
        return found;
    }
}
