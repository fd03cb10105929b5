using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// What the Go Quay Bridge Operator left in an organization taken over from it (<see cref="LegacyOwnership"/>), written
/// into the record at the first look after the takeover: its robots (named after its fixed service accounts,
/// <see cref="OwnershipMarkers.GoOperatorServiceAccounts"/>) and the repositories, none of them marked. Until then an
/// unmarked robot of those names, or any unmarked repository, counts as inherited; from then on only those the record
/// names Created do (<see cref="OrganizationRecord.AdoptedContentRecorded"/>), so a robot or repository a person makes
/// in the organization after the takeover is never taken for the operator's.
/// </summary>
public static class TakeoverInventory
{
    /// <summary>Nothing to do unless <paramref name="entry"/> was taken over and its inventory is still to take: then 1 + 3 calls, once.</summary>
    public static async Task RecordAsync(NamespaceWork work, QuayClient quay, OrganizationRecord entry, CancellationToken ct)
    {
        if (entry.AdoptedFrom is null || entry.AdoptedContentRecorded == true) return;
        foreach (var account in OwnershipMarkers.GoOperatorServiceAccounts)
        {
            var name = QuayNames.RobotFullName(entry.Name, account);
            if (entry.Robot(name) is not null) continue;
            var read = await quay.GetRobotAsync(entry.Name, account, ct);
            if (read.Outcome == QuayOutcome.NotFound) continue;
            // Quay refuses the robots of an organization that does not exist: gone, it left nothing to inherit.
            if (read.Outcome == QuayOutcome.Forbidden && (await quay.OrganizationExistsAsync(entry.Name, ct)) is { IsSuccess: true, Value: false })
            {
                entry.AdoptedContentRecorded = true;
                return;
            }
            var robot = read.ValueOrThrow("read robot " + name)!;
            // Another cluster's robot is never taken; the steps stop the namespace over it when it matters.
            if (work.Markers.OwnerOfRobot(robot, work.Name, account) == MarkedOwner.OtherCluster) continue;
            entry.SetRobot(name, account, work.Markers.OriginOfRobot(robot, work.Name, account, entry));
        }
        foreach (var repository in (await quay.ListRepositoriesAsync(entry.Name, ct)).ValueOrThrow("list the repositories of " + entry.Name)!)
            if (entry.Repository(repository.Name) is null)
                entry.SetRepository(repository.Name, work.Markers.OriginOfRepository(repository, work.Name, repository.Name, entry));
        entry.AdoptedContentRecorded = true;
    }
}
