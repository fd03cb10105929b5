using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// A repository's origin, judged by the operator's mark as Quay shows it now (<see cref="OwnershipMarkers"/>), written
/// into the record. The mark is the description the operator wrote, naming the repository and ending with this cluster's
/// identity; anyone with write access may edit it: one on record as
/// the operator's that lost it (a person's edit, a CI job copying a README in) cannot be told from one deleted and made
/// again by someone under the same name, so it counts as someone else's from then on and is never deleted by the
/// operator. When in doubt, keep; and say so on the namespace, since nothing else would tell.
/// </summary>
public static class RepositoryOrigins
{
    public static string Record(NamespaceWork work, OrganizationRecord entry, QuayRepository repository)
    {
        // In an organization taken over from the Go operator whose maker Quay does not show, an unmarked repository is
        // someone's at use only (as OriginOfRepository judges it): the record keeps what the takeover's inventory said,
        // for the day Quay tells.
        if (TakeoverInventory.MakerUntold(entry) && work.Markers.OwnerOfRepository(repository, work.Name, repository.Name) == MarkedOwner.Unmarked)
            return Origin.Found;
        var origin = work.Markers.OriginOfRepository(repository, work.Name, repository.Name, entry);
        if (origin != Origin.Created && LostItsMark(entry, repository.Name))
            work.Changed("RepositoryMarkLost", $"Quay repository {entry.Name}/{repository.Name}, on record as created by the operator, no longer carries " +
                                               "this cluster's mark for it in its description (edited in Quay, made again by someone, or marked by another " +
                                               "cluster's operator): it counts as someone else's from now on, and the operator never deletes it");
        entry.SetRepository(repository.Name, origin);
        return origin;
    }

    /// <summary>Whether the record names the repository as the operator's: judged otherwise now, its mark was lost.</summary>
    public static bool LostItsMark(OrganizationRecord entry, string repository) => entry.Repository(repository)?.Origin == Origin.Created;
}
