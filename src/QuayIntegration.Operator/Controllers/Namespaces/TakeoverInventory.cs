using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// What the Go Quay Bridge Operator left in an organization taken over from it (<see cref="LegacyOwnership"/>), written
/// into the record at the first look after the takeover, whichever path looks first (a sync, a release, a cleanup):
/// its robots (named after its fixed service accounts, <see cref="OwnershipMarkers.GoOperatorServiceAccounts"/>) and
/// the repositories, none of them marked. Until then an unmarked robot of those names, or any unmarked repository,
/// counts as inherited; from then on only those the record names Created do
/// (<see cref="OrganizationRecord.AdoptedContentRecorded"/>), so a robot or repository a person makes in the
/// organization after the takeover is never taken for the operator's. The Secrets the Go operator wrote for its robots
/// (<c>&lt;sa&gt;-quay-&lt;clusterID&gt;</c>, unlabelled, holding the robot's login) are recorded with them, so they are
/// unlinked and deleted when their robot goes, as the operator's own are.
/// </summary>
public sealed class TakeoverInventory(KubeApi api, ILogger<TakeoverInventory> log)
{
    /// <summary>
    /// Nothing to do unless <paramref name="entry"/> was taken over, its inventory is still to take and an integration
    /// reaches its Quay: then a few Quay calls (the robots of the three names, the repository list) and up to three
    /// Secret reads, once. A failure stops the caller, which needs Quay next anyway.
    /// </summary>
    public async Task RecordAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct)
    {
        if (entry.AdoptedFrom is null) return;
        if (entry.AdoptedContentRecorded == true)
        {
            await AskTheMakerOfAnEarlierInventoryAsync(work, entry, ct);
            return;
        }
        if (work.IntegrationFor(entry.Host) is not { Client: { } quay, Config: { } config }) return;
        // Found already: an earlier try of this inventory found it someone's, then failed part-way (its record saved all
        // the same); what it holds without a mark stays theirs on this try too.
        var personMade = entry.Origin == Origin.Found;
        if (entry.Origin == Origin.Created)
        {
            var maker = await MakerOfAsync(quay, entry, ct);
            if (maker != Maker.GoOperator)
            {
                MadeBySomeoneElse(work, entry, maker);
                personMade = true;
            }
        }
        foreach (var account in OwnershipMarkers.GoOperatorServiceAccounts)
        {
            var name = QuayNames.RobotFullName(entry.Name, account);
            if (entry.Robot(name) is not null) continue;
            var read = await quay.GetRobotAsync(entry.Name, account, ct);
            if (read.Outcome == QuayOutcome.NotFound) continue;
            // Gone, it left nothing to inherit.
            if (await quay.RefusedAsGoneAsync(read, entry.Name, ct))
            {
                entry.AdoptedContentRecorded = true;
                return;
            }
            var robot = read.ValueOrThrow("read robot " + name)!;
            // Another cluster's robot is never taken; the steps stop the namespace over it when it matters.
            if (work.Markers.OwnerOfRobot(robot, work.Name, account) == MarkedOwner.OtherCluster) continue;
            entry.SetRobot(name, account, work.Markers.OriginOfRobot(robot, work.Name, account, entry), robot.Created);
        }
        var repositories = (await quay.ListRepositoriesAsync(entry.Name, ct)).ValueOrThrow("list the repositories of " + entry.Name)!;
        foreach (var repository in repositories)
            if (entry.Repository(repository.Name) is null)
                // In an organization someone made, an unmarked repository may be theirs as well as the Go operator's: kept.
                entry.SetRepository(repository.Name, work.Markers.OriginOfRepository(repository, work.Name, repository.Name, personMade ? null : entry));
        // An earlier try of this inventory, told otherwise (or told nothing) and failed part-way, recorded them as inherited.
        if (personMade) UnmarkedAreTheirs(work, entry, repositories);
        await RecordSecretsAsync(work, entry, config.ClusterId, ct);
        entry.AdoptedMakerChecked = true;
        entry.AdoptedContentRecorded = true;
    }

    /// <summary>
    /// An inventory an earlier version took without asking who made the organization (before
    /// <see cref="OrganizationRecord.AdoptedMakerChecked"/>): asked once now (one Quay call, two when it is someone's).
    /// Made by someone else (or not told), the organization is theirs, and so is every repository on record as
    /// inherited that carries no mark of this operator (what the Go operator made for an ImageStream cannot be told from
    /// theirs): kept, as the first inventory would have kept them. The Go operator's robots stay on record as its own,
    /// as at the first inventory. The answer is on record only once all of that is: an attempt that fails part-way
    /// leaves the organization Found, and the next one turns the repositories.
    /// </summary>
    private static async Task AskTheMakerOfAnEarlierInventoryAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct)
    {
        if (entry.AdoptedMakerChecked == true) return;
        if (work.IntegrationFor(entry.Host) is not { Client: { } quay }) return;
        if (entry.Origin == Origin.Created)
        {
            var maker = await MakerOfAsync(quay, entry, ct);
            if (maker == Maker.GoOperator)
            {
                entry.AdoptedMakerChecked = true;
                return;
            }
            MadeBySomeoneElse(work, entry, maker);
        }
        UnmarkedAreTheirs(work, entry, (await quay.ListRepositoriesAsync(entry.Name, ct)).ValueOrThrow("list the repositories of " + entry.Name)!);
        entry.AdoptedMakerChecked = true;
    }

    private static async Task<Maker> MakerOfAsync(QuayClient quay, OrganizationRecord entry, CancellationToken ct) =>
        MakerOf(entry.Name, (await quay.GetOrganizationAsync(entry.Name, ct)).ValueOrThrow("look up organization " + entry.Name));

    /// <summary>The repositories on record as inherited that carry no mark of this operator are the organization's maker's.</summary>
    private static void UnmarkedAreTheirs(NamespaceWork work, OrganizationRecord entry, IEnumerable<QuayRepository> listed)
    {
        foreach (var repository in listed)
            if (entry.Repository(repository.Name) is { Origin: Origin.Created } recorded
                && work.Markers.OriginOfRepository(repository, work.Name, repository.Name, null) == Origin.Found)
                recorded.Origin = Origin.Found;
    }

    private static void MadeBySomeoneElse(NamespaceWork work, OrganizationRecord entry, Maker maker)
    {
        entry.Origin = Origin.Found;
        var why = maker == Maker.Untold
            ? "does not show the operator's user who made it (the user does not administer it), so it is taken for someone else's"
            : "was made by someone else (it shows an email the Go operator never gave)";
        work.Changed("OrganizationFound", $"Quay organization {entry.Name}, taken over from the Go Quay Bridge Operator, {why}: it is used, and never " +
                                          "deleted by the operator; the Go operator's robots in it are removed as the policies say, and repositories " +
                                          "without the operator's mark are left alone");
    }

    private enum Maker { GoOperator, SomeoneElse, Untold }

    /// <summary>
    /// The Go operator made its organizations without an email, or (some versions) with <c>&lt;name&gt;@redhat.com</c>;
    /// any other address says someone else made the organization, or an owner changed its email since: the Go operator
    /// only adopted it, and it is not the operator's to delete. Quay shows the email to the organization's
    /// administrators only (some releases not even to a superuser): to anyone else an empty one tells nothing, and
    /// when in doubt the organization is kept. The Go operator's user owns what it made, so an organization the
    /// operator's user does not administer was most likely made by someone else (or the token changed hands since).
    /// An organization that is not there (null) holds nothing of anyone's.
    /// </summary>
    private static Maker MakerOf(string org, QuayOrganization? shown) => shown switch
    {
        null => Maker.GoOperator,
        { IsAdmin: false } => Maker.Untold,
        { Email: { } email } when email.Contains('@') && !string.Equals(email, $"{org}@redhat.com", StringComparison.OrdinalIgnoreCase) => Maker.SomeoneElse,
        _ => Maker.GoOperator,
    };

    /// <summary>
    /// <see cref="RecordAsync"/> where nothing else needs Quay (an organization kept by policy): a failure is logged and
    /// the inventory taken at the next look; until then the takeover rule alone judges what is inside.
    /// </summary>
    public async Task TryRecordAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct)
    {
        try
        {
            await RecordAsync(work, entry, ct);
        }
        catch (Exception e) when (e is QuayOperationException or KubeApiException)
        {
            log.TakeoverInventoryDeferred(entry.Name, work.Name, e.Message);
        }
    }

    /// <summary>
    /// The Go operator's Secret of each inherited robot: named for the service account and the cluster ID, of the Docker
    /// config type, holding that robot's login. One the operator already wrote (labelled) was recorded when written.
    /// </summary>
    private async Task RecordSecretsAsync(NamespaceWork work, OrganizationRecord entry, string clusterId, CancellationToken ct)
    {
        if (work.Namespace is not { Metadata.DeletionTimestamp: null }) return; // its Secrets go with it
        foreach (var account in OwnershipMarkers.GoOperatorServiceAccounts)
        {
            var robot = QuayNames.RobotFullName(entry.Name, account);
            var name = QuayNames.SecretNameFor(account, clusterId);
            if (entry.Robot(robot) is not { Origin: Origin.Created } || work.Record.Secrets.Any(s => s.Name == name)) continue;
            var secret = await api.GetAsync<V1Secret>(ResourceType.Secrets.ObjectPath(work.Name, name), ct);
            if (secret is not null && RobotSecret.HoldsLoginOf(secret, robot))
                work.Record.SetSecret(name, account, work.IntegrationName);
        }
    }
}
