using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Webhook;
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
public sealed class TakeoverInventory(KubeApi api, EventRecorder events, ILogger<TakeoverInventory> log)
{
    /// <summary>
    /// The organization the Go operator made for a namespace about to be taken over from it (see
    /// <see cref="LegacyOwnership.Adopt"/>): named after the Go operator's cluster ID, which need not be this
    /// integration's, since this one's rules refuse some the Go operator took (<c>apps.example.com</c>: dots), so the
    /// admin had to pick another at the move. Its Secrets say which it was (<see cref="LegacyOwnership.GoOperatorClusterIds"/>,
    /// one list of the namespace's Docker config Secrets, once per namespace taken over); without them, this
    /// integration's. Only a cluster ID this integration could not have kept is taken from them: one it could have kept
    /// but does not use may be another cluster's (a namespace restored from that cluster's backup, on a Quay both
    /// share), whose organization would otherwise be deleted with the namespace. Empty, and told, when the Secrets name
    /// such an ID, or several: the organizations they name are left as they are, never taken for the operator's.
    /// </summary>
    public async Task<string> GoOrganizationAsync(NamespaceWork work, IntegrationConfig config, CancellationToken ct)
    {
        var configured = LegacyOwnership.GoOperatorOrganization(config.ClusterId, work.Name);
        if (!LegacyOwnership.WouldTakeOverFromGoOperator(work.Namespace, work.Record)) return configured;
        var secrets = await api.ListPageAsync<V1Secret>(ResourceType.Secrets.CollectionPath(work.Name),
            "fieldSelector=" + Uri.EscapeDataString("type=" + RobotSecret.Type), limit: null, continueToken: null, ct);
        var ids = LegacyOwnership.GoOperatorClusterIds(secrets.Items, work.Name);
        if (ids.Count == 0 || ids.Contains(config.ClusterId)) return configured;
        var named = string.Join(", ", ids.Select(UserText.Quote));
        if (ids.Count == 1 && !IntegrationConfig.IsValidClusterId(ids.Min!))
        {
            var organization = LegacyOwnership.GoOperatorOrganization(ids.Min!, work.Name);
            events.Normal(work.Namespace, "GoOperatorOrganizationFound",
                $"The Go Quay Bridge Operator's organization for this namespace is {organization}: its Secrets are named after clusterID {named}, which a QuayIntegration cannot keep, not this one's {UserText.Quote(config.ClusterId)}; it is taken over");
            return organization;
        }
        var why = ids.Count == 1
            ? $"its Secrets here are named after clusterID {named}, which this QuayIntegration could use but does not (it uses {UserText.Quote(config.ClusterId)}), so they may be another cluster's (a namespace restored from its backup)"
            : $"its Secrets here are named after several clusterIDs ({named}), none of them this QuayIntegration's, so which organization it used cannot be told";
        events.Warning(work.Namespace, "GoOperatorOrganizationNotTakenOver",
            $"Not taken over from the Go Quay Bridge Operator: {why}; the organizations they name and those Secrets are left as they are, never deleted by this operator");
        return "";
    }

    /// <summary>
    /// Nothing to do unless <paramref name="entry"/> was taken over, its inventory is still to take and an integration
    /// reaches its Quay: then a few Quay calls (the robots of the three names, the repository list) and up to three
    /// Secret reads, once. A failure stops the caller, which needs Quay next anyway. <paramref name="lettingGo"/>: the
    /// caller lets go of the organization (a release, a teardown, a former organization), so an inventory Quay refuses
    /// to show now could only be taken after what people add meanwhile (<see cref="CannotReadInside"/>).
    /// </summary>
    public async Task RecordAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct, bool lettingGo = false)
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
        // Asked again on a retry even when an earlier try was told: an owner may have changed the email since, and
        // an inventory not finished yet is the last moment that can still count (one call per retry).
        var maker = entry.Origin == Origin.Created ? await AskMakerAsync(quay, entry, config, work.Now, ct) : Maker.SomeoneElse;
        if (entry.Origin == Origin.Created && maker == Maker.SomeoneElse) MadeBySomeoneElse(work, entry);
        // Told, the answer is on record at once: a retry after a failure part-way sees Found (someone's) or asks again.
        if (maker != Maker.Untold) entry.AdoptedMakerChecked = true;
        // Untold, most likely someone else made it too (the Go operator's user owns what it made): what carries no mark
        // is theirs while it stays untold (OwnershipMarkers), and the organization is kept (MakerUntold).
        var personMade = maker != Maker.GoOperator;
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
            if (read.Outcome == QuayOutcome.Forbidden && maker == Maker.Untold)
            {
                CannotReadInside(work, entry, lettingGo);
                return;
            }
            var robot = read.ValueOrThrow("read robot " + name)!;
            // Another cluster's robot is never taken; the steps stop the namespace over it when it matters.
            if (work.Markers.OwnerOfRobot(robot, work.Name, account) == MarkedOwner.OtherCluster) continue;
            entry.SetRobot(name, account, work.Markers.OriginOfRobot(robot, work.Name, account, entry), robot.Created);
        }
        var listing = await quay.ListRepositoriesAsync(entry.Name, ct);
        if (listing.Outcome == QuayOutcome.Forbidden && maker == Maker.Untold && !await quay.RefusedAsGoneAsync(listing, entry.Name, ct))
        {
            CannotReadInside(work, entry, lettingGo);
            return;
        }
        var repositories = listing.ValueOrThrow("list the repositories of " + entry.Name)!;
        foreach (var repository in repositories)
            if (entry.Repository(repository.Name) is null)
                // In an organization someone made, an unmarked repository may be theirs as well as the Go operator's: kept.
                entry.SetRepository(repository.Name, work.Markers.OriginOfRepository(repository, work.Name, repository.Name, personMade ? null : entry));
        // An earlier try of this inventory, told otherwise (or told nothing) and failed part-way, recorded them as inherited.
        if (personMade) UnmarkedAreTheirs(work, entry, repositories);
        await RecordSecretsAsync(work, entry, LegacyOwnership.ClusterIdOf(entry.Name, work.Name), ct);
        entry.AdoptedContentRecorded = true;
    }

    /// <summary>
    /// Quay refuses to show the operator's user what is inside an organization whose maker it does not show either: the
    /// user neither administers it nor acts as a superuser, a refusal that lasts until someone acts. A sync waits for
    /// access (it fails on the same refusal and says so). Letting go of the organization, the operator takes an empty
    /// inventory: nothing unmarked in it is ever taken for the operator's, the Go operator's robots included, since
    /// access granted months later could not tell them from what people added meanwhile. (A refusal right after Quay
    /// showed the user as an administrator is most likely passing: it fails the inventory, to be taken again.)
    /// </summary>
    private static void CannotReadInside(NamespaceWork work, OrganizationRecord entry, bool lettingGo)
    {
        if (!lettingGo) return;
        entry.AdoptedContentRecorded = true;
        work.Kept.Add($"what the Go operator made in organization {entry.Name}: the operator's token may not read inside it, so nothing without the operator's mark in it is ever taken for the operator's or deleted by it");
    }

    /// <summary>
    /// An inventory an earlier version took without asking who made the organization (before
    /// <see cref="OrganizationRecord.AdoptedMakerChecked"/>): asked now (one Quay call, two when it is someone's).
    /// Made by someone else, the organization is theirs, and so is every repository on record as inherited that carries
    /// no mark of this operator (what the Go operator made for an ImageStream cannot be told from theirs): kept, as the
    /// first inventory would have kept them. The Go operator's robots stay on record as its own, as at the first
    /// inventory. The answer is on record only once all of that is: an attempt that fails part-way leaves the
    /// organization Found, and the next one turns the repositories. Untold, nothing is written: the organization is
    /// kept and its unmarked repositories count as someone's while it stays untold, and it is asked again later.
    /// </summary>
    private async Task AskTheMakerOfAnEarlierInventoryAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct)
    {
        if (entry.AdoptedMakerChecked == true) return;
        if (work.IntegrationFor(entry.Host) is not { Client: { } quay, Config: { } config }) return;
        if (entry.Origin == Origin.Created)
        {
            var maker = await AskMakerAsync(quay, entry, config, work.Now, ct);
            if (maker == Maker.Untold) return;
            if (maker == Maker.GoOperator)
            {
                entry.AdoptedMakerChecked = true;
                return;
            }
            MadeBySomeoneElse(work, entry);
        }
        UnmarkedAreTheirs(work, entry, (await quay.ListRepositoriesAsync(entry.Name, ct)).ValueOrThrow("list the repositories of " + entry.Name)!);
        entry.AdoptedMakerChecked = true;
    }

    /// <summary>
    /// Who made the organization, as Quay shows it to the operator's user. Untold (after checking that Quay accepts the
    /// token: to an unaccepted one every organization looks untold), Quay is not asked again before a drift interval has
    /// passed: every event of the namespace would cost a Quay call otherwise. Nothing depends on remembering that:
    /// while untold, the organization is kept and what carries no mark in it counts as someone's.
    /// </summary>
    private async Task<Maker> AskMakerAsync(QuayClient quay, OrganizationRecord entry, IntegrationConfig config, DateTimeOffset now, CancellationToken ct)
    {
        var key = (entry.Host, entry.Name);
        if (_untoldAt.TryGetValue(key, out var untold) && now - untold < config.DriftCheckInterval && now >= untold) return Maker.Untold;
        var maker = MakerOf(entry.Name, (await quay.GetOrganizationAsync(entry.Name, ct)).ValueOrThrow("look up organization " + entry.Name));
        if (maker != Maker.Untold)
        {
            _untoldAt.TryRemove(key, out _);
            return maker;
        }
        (await quay.VerifyTokenAsync(ct)).ValueOrThrow("verify the token");
        // Entries whose wait is over are dropped as new ones come: organizations deleted, released or told meanwhile
        // leave nothing behind for long.
        foreach (var (other, at) in _untoldAt)
            if (now - at >= config.DriftCheckInterval || now < at) _untoldAt.TryRemove(new KeyValuePair<(string, string), DateTimeOffset>(other, at));
        _untoldAt[key] = now;
        return maker;
    }

    /// <summary>
    /// When Quay last told nothing of who made an organization (host, name): its user does not administer it. Holds
    /// only organizations asked within about a drift interval.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Host, string Name), DateTimeOffset> _untoldAt = new();

    /// <summary>
    /// The repositories on record as inherited are the organization's maker's, all but those listed with this operator's
    /// mark. Over the record rather than the listing: a listing may leave out repositories the operator's user may not
    /// see, and one left Created would be deleted once it could see it.
    /// </summary>
    private static void UnmarkedAreTheirs(NamespaceWork work, OrganizationRecord entry, IEnumerable<QuayRepository> listed)
    {
        var marked = listed.Where(r => work.Markers.OriginOfRepository(r, work.Name, r.Name, null) == Origin.Created).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var recorded in entry.Repositories ?? [])
            if (recorded.Origin == Origin.Created && !marked.Contains(recorded.Name))
                recorded.Origin = Origin.Found;
    }

    private static void MadeBySomeoneElse(NamespaceWork work, OrganizationRecord entry)
    {
        entry.Origin = Origin.Found;
        work.Changed("OrganizationFound", $"Quay organization {entry.Name}, taken over from the Go Quay Bridge Operator, was made by someone else " +
                                          "(it shows an email the Go operator never gave): it is used, and never deleted by the operator; the Go operator's " +
                                          "robots in it are removed as the policies say, and repositories without the operator's mark are left alone");
    }

    /// <summary>Whether an organization taken over from the Go operator is still waiting to be told who made it: until then the operator does not delete it.</summary>
    public static bool MakerUntold(OrganizationRecord entry) =>
        entry.AdoptedFrom is not null && entry.Origin == Origin.Created && entry.AdoptedMakerChecked != true;

    /// <summary>What the status says of an organization whose maker Quay does not show the operator's user (<see cref="MakerUntold"/>).</summary>
    public static string UntoldMakerKept(OrganizationRecord entry) =>
        $"organization {entry.Name}, taken over from the Go Quay Bridge Operator: Quay does not show the operator's user who made it (it does not " +
        "administer the organization), so the operator does not delete it, nor the repositories in it without its mark; make that user an owner " +
        "of it for the operator to tell";

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
            // Kept by policy while the namespace stays, nothing hurries: an inventory Quay refuses now is tried again later.
            await RecordAsync(work, entry, ct, lettingGo: work.Namespace is not { Metadata.DeletionTimestamp: null });
        }
        catch (Exception e) when (e is QuayOperationException or KubeApiException)
        {
            log.TakeoverInventoryDeferred(entry.Name, work.Name, e.Message);
        }
    }

    /// <summary>
    /// The Go operator's Secret of each inherited robot: named for the service account and the cluster ID the Go
    /// operator named the organization after (<paramref name="clusterId"/>), of the Docker config type, holding that
    /// robot's login. One the operator already wrote (labelled) was recorded when written.
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
