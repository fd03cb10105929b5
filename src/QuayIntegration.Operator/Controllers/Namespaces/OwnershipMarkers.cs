using System.Text.Json;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>Whose a robot or repository found in Quay is, as told by the marks this operator leaves on what it creates.</summary>
public enum MarkedOwner
{
    /// <summary>Made by this operator in this cluster (or by its earlier versions, which marked it by description).</summary>
    ThisCluster,
    /// <summary>Made by this operator in another cluster sharing the Quay: never touched.</summary>
    OtherCluster,
    /// <summary>No mark of this operator: made by someone else.</summary>
    Unmarked,
}

/// <summary>
/// The marks the operator leaves on the robots and repositories it creates, so that an object found in Quay without an
/// entry in the ownership record (a crash came between the create and the record write, or the installation predates
/// the record) can still be told apart from one someone else made. Organizations cannot carry a mark in Quay; their
/// ownership is written ahead into the record instead (<see cref="Api.Origin.Creating"/>).
/// <list type="bullet">
/// <item>Robots: <c>unstructured_metadata</c> <c>{"createdBy": "quay-integration-operator", "cluster": …, "clusterID": …,
/// "namespace": …, "serviceAccount": …}</c>, and a description a person can read.</item>
/// <item>Repositories: a description ending in <c>created by quay-integration-operator for cluster &lt;identity&gt;</c>.</item>
/// </list>
/// The cluster identity is the UID of the cluster's kube-system namespace (unique per cluster, stable for its life),
/// so operators of several clusters sharing one Quay never take each other's objects for their own; the QuayIntegration's
/// clusterID goes along so that another cluster can name this one in what it reports.
/// Earlier versions of this operator wrote fixed descriptions without a cluster; those still count as this cluster's.
/// </summary>
public sealed class OwnershipMarkers(string clusterIdentity, string? clusterName = null)
{
    public const string Creator = "quay-integration-operator";
    private const int MaxDescription = 255; // Quay's robot description limit (endpoints/api/robot.py schema)

    public string ClusterIdentity { get; } = clusterIdentity;

    public Dictionary<string, string> RobotMetadata(string ns, string serviceAccount) => new(StringComparer.Ordinal)
    {
        ["createdBy"] = Creator,
        ["cluster"] = ClusterIdentity,
        ["clusterID"] = clusterName ?? "",
        ["namespace"] = ns,
        ["serviceAccount"] = serviceAccount,
    };

    /// <summary>The service account the robot's mark names (<see cref="RobotMetadata"/>), or null when it names none.</summary>
    public static string? ServiceAccountOf(QuayRobot robot) =>
        robot.Metadata is { ValueKind: JsonValueKind.Object } metadata
        && metadata.TryGetProperty("serviceAccount", out var account) && account.ValueKind == JsonValueKind.String
            ? account.GetString()
            : null;

    /// <summary>
    /// The service account to record for a robot found to be the operator's without a record: the one its mark names,
    /// else the one its name tells (the short name is the account's name when that is valid).
    /// </summary>
    public static string RecordedServiceAccountOf(QuayRobot robot) => ServiceAccountOf(robot) ?? QuayNames.RobotShortNameOf(robot.Name);

    /// <summary>
    /// The service account a robot of <paramref name="ns"/> is for, unknown to the record: the one its mark names, else
    /// the one the description of a version before the mark names (a short name may differ from it: one mapped for
    /// Quay, or shortened), else the one its name tells.
    /// </summary>
    public static string ServiceAccountOf(QuayRobot robot, string ns) =>
        ServiceAccountOf(robot) ?? LegacyServiceAccountOf(robot, ns) ?? QuayNames.RobotShortNameOf(robot.Name);

    /// <summary>Whether a version before the mark described the robot as made for a service account of <paramref name="ns"/> it is named after.</summary>
    public static bool DescribedByAnEarlierVersion(QuayRobot robot, string ns) => LegacyServiceAccountOf(robot, ns) is not null;

    /// <summary>The service account a version before the mark described the robot as made for, when the robot is named after it.</summary>
    private static string? LegacyServiceAccountOf(QuayRobot robot, string ns)
    {
        var prefix = LegacyRobotDescriptionPrefix(ns);
        var description = robot.Description ?? "";
        if (description.Length <= prefix.Length + LegacyRobotDescriptionSuffix.Length || !description.StartsWith(prefix, StringComparison.Ordinal)
            || !description.EndsWith(LegacyRobotDescriptionSuffix, StringComparison.Ordinal) || robot.Name.IndexOf('+') is not (> 0 and var plus))
            return null;
        var described = description[prefix.Length..^LegacyRobotDescriptionSuffix.Length];
        // A description alone proves nothing of a robot named otherwise.
        return QuayNames.RobotFullNameFor(robot.Name[..plus], described) == robot.Name ? described : null;
    }

    /// <summary>
    /// At most 255 characters whatever the names' length: Quay refuses a longer robot description. What is cut is the
    /// service account's name, never the creator at the end, which is how a robot list shows the robots whose mark
    /// must be read (<see cref="OtherClusterMarks.MarkedByAnOperator"/>).
    /// </summary>
    public static string RobotDescription(string ns, string serviceAccount)
    {
        var subject = $"Service account {ns}/{serviceAccount}";
        var creator = $", created by {Creator}";
        return subject.Length + creator.Length <= MaxDescription ? subject + creator : subject[..(MaxDescription - creator.Length - 1)] + "…" + creator;
    }

    public string RepositoryDescription(string ns, string imageStream) =>
        $"ImageStream {ns}/{imageStream}; {RepositorySuffix}";

    private string RepositorySuffix => $"created by {Creator} for cluster {ClusterIdentity}";

    public MarkedOwner OwnerOfRobot(QuayRobot robot, string ns, string serviceAccount)
    {
        if (robot.Metadata is { ValueKind: JsonValueKind.Object } metadata
            && metadata.TryGetProperty("createdBy", out var creator) && creator.ValueKind == JsonValueKind.String && creator.GetString() == Creator)
        {
            return metadata.TryGetProperty("cluster", out var cluster) && cluster.ValueKind == JsonValueKind.String && cluster.GetString() != ClusterIdentity
                ? MarkedOwner.OtherCluster
                : MarkedOwner.ThisCluster;
        }
        return robot.Description == LegacyRobotDescription(ns, serviceAccount) ? MarkedOwner.ThisCluster : MarkedOwner.Unmarked;
    }

    public MarkedOwner OwnerOfRepository(QuayRepository repository, string ns, string imageStream)
    {
        // Trailing whitespace (an editor's last newline) is no edit of the mark.
        var description = (repository.Description ?? "").TrimEnd();
        // This cluster's mark counts on the repository it was written for only: the same words copied into another
        // repository's description (a script cloning one repository's settings for the next) do not make it the
        // operator's. Text someone put in front of it (a README's first lines) leaves it the operator's, as before.
        if (description.EndsWith(RepositorySuffix, StringComparison.Ordinal))
            return description.EndsWith(RepositoryDescription(ns, imageStream), StringComparison.Ordinal) ? MarkedOwner.ThisCluster : MarkedOwner.Unmarked;
        if (description.Contains($"created by {Creator} for cluster ", StringComparison.Ordinal)) return MarkedOwner.OtherCluster;
        return description == LegacyRepositoryDescription(ns, imageStream) ? MarkedOwner.ThisCluster : MarkedOwner.Unmarked;
    }

    /// <summary>The service accounts of the Go operator's fixed matrix, after which it named its robots.</summary>
    public static readonly string[] GoOperatorServiceAccounts = ["builder", "default", "deployer"];

    /// <summary>
    /// The origin a mark gives an object found in <paramref name="entry"/>'s organization: this cluster's mark makes it
    /// the operator's; no mark makes it someone else's, except what this operator inherited in an organization taken
    /// over from the Go operator, which marked nothing: what the record names Created (the takeover's inventory), and
    /// before that inventory is taken, anything the Go operator could have made (<paramref name="goOperatorCouldHaveMade"/>).
    /// </summary>
    private static string OriginOf(MarkedOwner mark, OrganizationRecord? entry, string? recorded, bool goOperatorCouldHaveMade) => mark switch
    {
        MarkedOwner.ThisCluster => Api.Origin.Created,
        MarkedOwner.Unmarked when entry?.AdoptedFrom is not null
                                  && (recorded == Api.Origin.Created || (entry.AdoptedContentRecorded != true && goOperatorCouldHaveMade)) => Api.Origin.Created,
        _ => Api.Origin.Found,
    };

    /// <summary>The origin a robot found in <paramref name="entry"/>'s organization gets from its mark (<see cref="OriginOf"/>).</summary>
    public string OriginOfRobot(QuayRobot robot, string ns, string serviceAccount, OrganizationRecord? entry) =>
        OriginOf(OwnerOfRobot(robot, ns, serviceAccount), entry, entry?.Robot(robot.Name)?.Origin,
            entry is not null && GoOperatorServiceAccounts.Any(account => robot.Name == QuayNames.RobotFullName(entry.Name, account)));

    /// <summary>
    /// The origin a repository found in <paramref name="entry"/>'s organization gets from its mark (<see cref="OriginOf"/>).
    /// In an organization taken over from the Go operator whose maker Quay does not show (<see cref="TakeoverInventory.MakerUntold"/>),
    /// an unmarked one is someone's whatever the record says: most likely a person made the organization, and its
    /// repositories are theirs until Quay tells otherwise.
    /// </summary>
    public string OriginOfRepository(QuayRepository repository, string ns, string imageStream, OrganizationRecord? entry)
    {
        var mark = OwnerOfRepository(repository, ns, imageStream);
        return mark == MarkedOwner.Unmarked && entry is not null && TakeoverInventory.MakerUntold(entry)
            ? Api.Origin.Found
            : OriginOf(mark, entry, entry?.Repository(repository.Name)?.Origin, goOperatorCouldHaveMade: true);
    }

    /// <summary>What versions of this operator before the ownership record wrote (they served one cluster each).</summary>
    private static string LegacyRobotDescription(string ns, string serviceAccount) => LegacyRobotDescriptionPrefix(ns) + serviceAccount + LegacyRobotDescriptionSuffix;

    private static string LegacyRobotDescriptionPrefix(string ns) => $"Service account {ns}/";

    private const string LegacyRobotDescriptionSuffix = " (QuayIntegration)";

    private static string LegacyRepositoryDescription(string ns, string imageStream) => $"ImageStream {ns}/{imageStream}";
}
