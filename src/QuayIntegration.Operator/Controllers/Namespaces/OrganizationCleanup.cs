using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Removes what the operator created in one organization of the record, and the entry once nothing of the operator's
/// is left in it. An organization it created is deleted whole (Quay takes its robots, default permissions and
/// repositories with it). In one it found, the robots it created and the default permissions it gave are deleted, and
/// the repositories it created too when repositoryDeletionPolicy is Delete (with Keep they stay, listed as kept); the
/// organization itself, and everything in it the operator did not create, stays. An organization on another Quay host
/// than the current one cannot be reached with the current credentials: it is kept and listed.
/// </summary>
public sealed class OrganizationCleanup
{
    public async Task RemoveAsync(NamespaceWork work, OrganizationRecord entry, string why, CancellationToken ct)
    {
        if (entry.Host != work.Host || work.Client is null)
        {
            work.Kept.Add($"organization {entry.Name} on {entry.Host}: not reachable with the current quayHostname and credentials");
            return;
        }
        var quay = work.Client;
        if (entry.IsOwned())
        {
            // A missing organization counts as deleted (one recorded Creating may never have been created).
            (await quay.DeleteOrganizationAsync(entry.Name, ct)).ValueOrThrow("delete organization " + entry.Name);
            work.Record.RemoveOrganization(entry);
            work.Changed("OrganizationDeleted", $"Deleted Quay organization {entry.Name}: {why}");
            return;
        }

        foreach (var robot in (entry.Robots ?? []).Where(r => r.Origin == Origin.Created).ToList())
        {
            (await quay.DeleteRobotAsync(entry.Name, robot.Name[(robot.Name.IndexOf('+') + 1)..], ct)).ValueOrThrow("delete robot " + robot.Name);
            entry.RemoveRobot(robot.Name);
            foreach (var permission in entry.DefaultPermissionsOf(robot.Name).ToList()) entry.RemoveDefaultPermission(permission);
            work.Changed("RobotDeleted", $"Deleted Quay robot {robot.Name} from organization {entry.Name}, which the operator did not create: {why}");
        }
        foreach (var permission in (entry.DefaultPermissions ?? []).ToList())
        {
            if (!string.IsNullOrEmpty(permission.Id))
                (await quay.DeletePrototypeAsync(entry.Name, permission.Id, ct)).ValueOrThrow($"delete the default permission of {permission.Robot}");
            entry.RemoveDefaultPermission(permission);
            work.Changed("DefaultPermissionDeleted", $"Deleted the default permission the operator gave {permission.Robot} in {entry.Name}: {why}");
        }
        foreach (var repository in (entry.Repositories ?? []).Where(r => r.Origin == Origin.Created).ToList())
        {
            if (work.Config?.DeleteRepositories != true)
            {
                work.Kept.Add($"repository {entry.Name}/{repository.Name} (repositoryDeletionPolicy Keep)");
                continue;
            }
            (await quay.DeleteRepositoryAsync(entry.Name, repository.Name, ct)).ValueOrThrow($"delete repository {entry.Name}/{repository.Name}");
            entry.RemoveRepository(repository.Name);
            work.Changed("RepositoryDeleted", $"Deleted Quay repository {entry.Name}/{repository.Name}: {why} (repositoryDeletionPolicy Delete)");
        }
        if (!entry.HoldsNothing()) return;
        work.Record.RemoveOrganization(entry);
        work.Changed("OrganizationKept", $"Kept Quay organization {entry.Name}: it existed before the operator used it");
    }

    /// <summary>What stays of an organization entry when nothing is removed (cleanupPolicy Keep), in words for the status.</summary>
    public static string Describe(OrganizationRecord entry) => entry.IsOwned()
        ? $"organization {entry.Name}{(entry.Host.Length > 0 ? $" on {entry.Host}" : "")}"
        : $"what the operator created in organization {entry.Name}{(entry.Host.Length > 0 ? $" on {entry.Host}" : "")}";
}
