using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Another cluster's operator sharing the Quay (and the organization prefix) marks the robots it makes with its
/// cluster: the one sign that an organization this cluster's operator does not hold as created, one it found or one a
/// pending create of its own is about to be judged, is that cluster's. Only robots whose description names an operator
/// of this kind and that the record does not hold as this cluster's are read, one call each, so an ordinary organization
/// costs nothing more than its robot list.
/// </summary>
public static class OtherClusterMarks
{
    /// <summary>
    /// The robots of a list whose description says an operator of this kind made them (in any cluster), or a version
    /// of it before the mark made them for namespace <paramref name="ns"/>: in an organization the operator found, such
    /// a robot of a service account that has left the matrix since is named by nothing else.
    /// </summary>
    public static List<string> MarkedByAnOperator(IEnumerable<QuayRobot> listed, string ns) =>
        listed.Where(r => r.Description?.Contains(OwnershipMarkers.Creator, StringComparison.Ordinal) == true || OwnershipMarkers.DescribedByAnEarlierVersion(r, ns))
            .Select(r => r.Name).ToList();

    /// <summary>
    /// Reads the marks of <paramref name="markedByAnOperator"/> (those the record does not hold as created) and returns
    /// the first, by name, that carries another cluster's mark, or null. Every one is read: one that carries this
    /// cluster's mark and that the record does not know is recorded as created (the operator made it and lost its
    /// answer, a crash say, and once its service account leaves the matrix nothing else would name it), also when
    /// another cluster's robot sorts before it.
    /// </summary>
    public static async Task<QuayRobot?> ReadAsync(NamespaceWork work, QuayClient quay, OrganizationRecord entry, IEnumerable<string> markedByAnOperator,
        CancellationToken ct)
    {
        QuayRobot? othersFirst = null;
        foreach (var name in markedByAnOperator.Where(r => entry.Robot(r) is not { Origin: Origin.Created }).Order(StringComparer.Ordinal))
        {
            var read = await quay.GetRobotAsync(entry.Name, QuayNames.RobotShortNameOf(name), ct);
            if (read.Outcome == QuayOutcome.NotFound) continue;
            var robot = read.ValueOrThrow("read robot " + name)!;
            var account = OwnershipMarkers.ServiceAccountOf(robot, work.Name);
            var owner = work.Markers.OwnerOfRobot(robot, work.Name, account);
            if (owner == MarkedOwner.OtherCluster) othersFirst ??= robot;
            else if (owner == MarkedOwner.ThisCluster && entry.Robot(name) is null)
                entry.SetRobot(name, account, Origin.Created, robot.Created);
        }
        return othersFirst;
    }
}
