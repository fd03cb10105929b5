using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The record knows a robot the operator created by its name, and a name is not an identity: someone may delete the
/// robot in Quay and make their own under that name. Taken for the operator's, theirs would have its default
/// permission changed or deleted, its token regenerated, and it would go with the organization. Quay gives every robot
/// the time it was made (to the second), in the list too, so each robot listed is compared with the time recorded
/// for it, at no extra call; one made at another time is read once for its mark.
/// </summary>
internal static class RemadeRobots
{
    /// <summary>
    /// The robots listed that the record holds as created, made at another time than recorded. A record without a
    /// time (written before times were kept) takes the listed one as it is. A found robot made again (its owner deleted
    /// it and made another under the name) is its owner's still, but Quay took what the operator gave the old one away
    /// with it: the notes of those grants are forgotten, so that what the owner gives the new one is never taken back.
    /// </summary>
    public static List<QuayRobot> Among(OrganizationRecord entry, IEnumerable<QuayRobot> listed)
    {
        var remade = new List<QuayRobot>();
        foreach (var robot in listed)
        {
            if (entry.Robot(robot.Name) is not { Origin: Origin.Created or Origin.Found } recorded || string.IsNullOrEmpty(robot.Created)) continue;
            if (recorded.Created is null) recorded.Created = robot.Created;
            else if (recorded.Created == robot.Created) continue;
            else if (recorded.Origin == Origin.Created) remade.Add(robot);
            else entry.FoundRobotMadeAgain(recorded, robot.Created);
        }
        return remade;
    }

    /// <summary>
    /// Each robot made again, judged by its mark: this cluster's operator's (it made it again itself, its record lagging)
    /// stays created, with the new time; any other is someone's from now on, recorded as found: never deleted, told in an
    /// Event, and used for its service account as a robot that existed is, unless another cluster's operator made it
    /// (then the organization's read stops the sync, <see cref="OrganizationStep"/>).
    /// </summary>
    /// <param name="inUse">The organization is the namespace's own, in use: a robot someone made again is used (said in the Event).</param>
    public static async Task JudgeAsync(NamespaceWork work, QuayClient quay, OrganizationRecord entry, IReadOnlyList<QuayRobot> remade, bool inUse,
        CancellationToken ct)
    {
        foreach (var listed in remade)
        {
            if (entry.Robot(listed.Name) is not { } recorded) continue;
            var read = await quay.GetRobotAsync(entry.Name, QuayNames.RobotShortNameOf(listed.Name), ct);
            if (read.Outcome == QuayOutcome.NotFound) continue; // gone again: the next list says so
            var robot = read.ValueOrThrow("read robot " + listed.Name)!;
            var owner = work.Markers.OwnerOfRobot(robot, work.Name, recorded.ServiceAccount);
            // This cluster's stays created, with the new time (the old one's roles went with it, and their notes go too).
            var origin = owner == MarkedOwner.ThisCluster ? Origin.Created : Origin.Found;
            entry.SetRobot(listed.Name, recorded.ServiceAccount, origin, robot.Created ?? listed.Created);
            if (origin == Origin.Created) continue;
            work.Changed("RobotReplaced", owner == MarkedOwner.OtherCluster
                ? $"Quay robot {listed.Name} was deleted and made again by the operator of another cluster " +
                  $"({OrganizationOfAnotherClusterException.ClusterOf(robot)}); it is neither used nor deleted by this operator"
                : $"Quay robot {listed.Name} was deleted and made again by someone else; it is theirs from now on: never deleted by the operator" +
                  (inUse ? $", and used as a robot that existed while service account {recorded.ServiceAccount} is in spec.serviceAccounts" : ""));
        }
    }
}
