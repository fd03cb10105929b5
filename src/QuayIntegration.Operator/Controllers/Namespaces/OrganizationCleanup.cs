using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Removes what the operator created in one organization of the record, and the entry once nothing of the operator's
/// is left in it.
/// <list type="bullet">
/// <item>An organization it created is deleted whole (Quay takes its robots, default permissions and repositories
/// with it), unless someone put a repository, robot, team or OAuth application of their own in it, or Quay would take
/// a look-alike organization's robots along (it selects the robots to delete by a name pattern in which <c>_</c>
/// matches any character): deleting the organization would delete those too, so it is kept and reported, only the
/// operator's own content inside is removed (as below), and the deletion is tried again later.</item>
/// <item>In an organization it found, the robots it created and the default permissions it gave are deleted, the
/// repository roles it gave robots it did not create are given back, and the
/// repositories it created too when repositoryDeletionPolicy is Delete (with Keep they stay, listed as kept); the
/// organization itself, and everything in it the operator did not create, stays.</item>
/// </list>
/// Robots and repositories the record does not know but that carry this operator's mark (created before the record
/// existed, or just before a crash) count as the operator's. An organization on another Quay is reached through the
/// integration of that Quay, under its policies; one on a Quay no integration reaches any more is kept and listed.
/// </summary>
public sealed class OrganizationCleanup(TakeoverInventory takeoverInventory, IOptions<QuayOptions> options)
{
    /// <summary>An organization a create of the operator's got no answer for is looked for this often while it may still land.</summary>
    private static readonly TimeSpan LateCreatePoll = TimeSpan.FromSeconds(15);

    /// <summary>Less left of a claim window than this is not aimed at again after a failed look: Quay failing fast would requeue in a burst.</summary>
    private static readonly TimeSpan MinLateLook = TimeSpan.FromSeconds(2);

    /// <summary>The team Quay makes with every organization, its creator in it.</summary>
    private const string OwnersTeam = "owners";

    public async Task RemoveAsync(NamespaceWork work, OrganizationRecord entry, string why, CancellationToken ct)
    {
        try
        {
            await RemoveOrKeepAsync(work, entry, why, ct);
        }
        catch (QuayOperationException e) when (e.Outcome == QuayOutcome.Forbidden && WaitsOnSomeoneAnyway(work, entry))
        {
            // Quay refuses the operator's token in this organization (its user never administered it, no longer does,
            // may read but not delete, or the token lacks a scope). What is left stays on record and in the status, and
            // the organization is looked at again each drift interval, as one kept for someone's content is.
            work.Kept.Add(RefusedKept(entry, e));
            work.Blocked = true;
        }
    }

    /// <summary>
    /// Whether a refusal of Quay's ends this removal with the organization kept rather than failing it, to be retried:
    /// while the namespace is being deleted (waiting would hold it Terminating until someone acts), and for an
    /// organization whose maker Quay does not show (kept until someone acts anyway: the release of a namespace that
    /// stays finishes rather than fail until someone grants access). A namespace that stays is otherwise reported
    /// failing and retried, since a refusal may pass.
    /// </summary>
    private static bool WaitsOnSomeoneAnyway(NamespaceWork work, OrganizationRecord entry) =>
        work.Namespace is not { Metadata.DeletionTimestamp: null } || TakeoverInventory.MakerUntold(entry);

    private static string RefusedKept(OrganizationRecord entry, QuayOperationException e) =>
        $"in organization {entry.Name}: Quay refuses the operator's token ({e.Operation}: HTTP {e.StatusCode}); what the operator made there " +
        "stays on record and is removed once the token may act there again";

    private async Task RemoveOrKeepAsync(NamespaceWork work, OrganizationRecord entry, string why, CancellationToken ct)
    {
        // The current Quay, or the Quay of another integration (a namespace that moved): what is there is removed with
        // that integration's credentials and under its policies. A Quay no integration reaches any more: kept, listed.
        if (work.IntegrationFor(entry.Host) is not { Client: { } quay, Config: { } config })
        {
            work.Kept.Add($"organization {entry.Name} on {entry.Host}: no QuayIntegration with credentials for that Quay");
            return;
        }
        var reach = new Reach(quay, config);
        // Taken over and never looked at (a namespace deleted before its first sync): what the Go operator left is
        // told from what people added first, so an organization kept for their content never inherits later additions.
        await takeoverInventory.RecordAsync(work, entry, ct, lettingGo: true);
        if (TakeoverInventory.MakerUntold(entry))
        {
            // When in doubt, keep: it may be someone's that the Go operator only used. What the operator certainly made
            // in it goes all the same, as in an organization kept for someone's content (its unmarked repositories
            // count as someone's meanwhile), once the inventory could read inside.
            work.Kept.Add(TakeoverInventory.UntoldMakerKept(entry));
            work.Blocked = true;
            if (entry.AdoptedContentRecorded != true) return;
            // A user that may not act inside (its empty inventory was taken just now) is refused here: RemoveAsync.
            await RemoveOwnContentAsync(work, reach, entry, why, null, null, ct);
            return;
        }
        if (entry.Origin == Origin.Creating && !await SettlePendingAsync(work, quay, entry, removing: true, ct)) return;
        var (foreign, repositories, robots) = entry.IsOwned() ? await ForeignContentAsync(work, reach, entry, ct) : ([], [], []);
        // Still the operator's once Quay showed it: one made again by someone else is removed from as a found one, below.
        if (entry.IsOwned())
        {
            if (foreign.Count == 0)
            {
                // A missing organization counts as deleted, and is told as gone: an earlier attempt may have deleted it
                // and told so, stopped before its record's save.
                var deletion = await quay.DeleteOrganizationAsync(entry.Name, ct);
                deletion.ValueOrThrow("delete organization " + entry.Name);
                work.Record.RemoveOrganization(entry);
                if (deletion.StatusCode == QuayClient.AlreadyGone) work.Changed("OrganizationGone", $"Quay organization {entry.Name} is gone already: {why}");
                else work.Changed("OrganizationDeleted", $"Deleted Quay organization {entry.Name}: {why}");
                return;
            }
            await RemoveOwnContentAsync(work, reach, entry, why, repositories, robots, ct);
            var listed = string.Join(", ", foreign.Take(5)) + (foreign.Count > 5 ? $" and {foreign.Count - 5} more" : "");
            work.Kept.Add($"organization {entry.Name}: Quay would delete with it what the operator may not delete ({listed}); it is deleted once those are gone");
            // Told on the namespace too, where whoever deleted it looks first (its Events outlive it), and not only in
            // the record's status; a deletion still blocked at the next attempt adds to the same Event's count.
            work.Changed("OrganizationKept", $"Kept Quay organization {entry.Name} for now ({why}): Quay would delete with it what the operator may not " +
                                             $"delete ({listed}); the operator removed its own content and deletes the organization once those are gone");
            work.Blocked = true;
            return;
        }

        // Deleted in Quay since it was found, it took what the operator made in it along, and Quay would refuse (403)
        // every call inside it: nothing is left to remove.
        if (await quay.OrganizationExistsAsync(entry.Name, ct) is { IsSuccess: true, Value: false })
        {
            work.Record.RemoveOrganization(entry);
            work.Changed("OrganizationGone", $"Quay organization {entry.Name}, which existed before the operator used it, is gone already");
            return;
        }
        await RemoveOwnContentAsync(work, reach, entry, why, null, null, ct);
        if (!entry.HoldsNothing()) return;
        work.Record.RemoveOrganization(entry);
        work.Changed("OrganizationKept", $"Kept Quay organization {entry.Name}: it existed before the operator used it");
    }

    /// <summary>
    /// A create of the operator's was pending: what Quay shows of the organization decides whether it is the operator's
    /// (<see cref="PendingCreate"/>, and <see cref="OtherClusterMarks"/>), as it would have at the next sync. Someone
    /// else's, another cluster's included, is removed from (or kept) as a found one. One whose maker cannot be told
    /// stays on record as pending, is listed as kept, and is looked at again at the drift interval. One absent while the
    /// create written ahead may still land (within the grace of it: Quay may finish a create whose answer the operator
    /// gave up on) stays pending; when <paramref name="removing"/> it is looked for every few seconds until then, so one
    /// that lands is deleted rather than orphaned (the namespace goes meanwhile), else once the grace is over. One absent
    /// after that was never made, or is gone: forgotten. False when nothing is left to do now.
    /// </summary>
    private async Task<bool> SettlePendingAsync(NamespaceWork work, QuayClient quay, OrganizationRecord entry, bool removing, CancellationToken ct)
    {
        var grace = options.Value.UnansweredCreateGrace;
        var shown = (await quay.GetOrganizationAsync(entry.Name, ct)).ValueOrThrow("look up organization " + entry.Name);
        switch (await PendingCreate.JudgeAsync(quay, entry, shown, work.Now, grace, ct))
        {
            case PendingVerdict.Absent:
                // A time ahead of now (a leader's clock behind the writer's, an edit) counts from now, and is saved so:
                // the wait ends a grace from here rather than never, and the entry is not forgotten early either. So
                // does no time at all: an earlier version's "pending" annotation, read in, kept none, and its create may
                // have been sent just before the upgrade.
                if (entry.PendingSince is not { } since || since > work.Now.UtcDateTime) entry.PendingSince = since = work.Now.UtcDateTime;
                var until = new DateTimeOffset(since, TimeSpan.Zero) + grace;
                if (until > work.Now)
                {
                    work.Kept.Add($"organization {entry.Name}: a create of the operator's got no answer and may still land; looked for until {until:u}, and " +
                                  (removing ? "deleted if it appears" : "kept as the operator's if it appears, forgotten at the first look after that if not"));
                    work.LookAgainAfter(removing && until - work.Now > LateCreatePoll ? LateCreatePoll : until - work.Now);
                    return false;
                }
                // Never made (and no create of the operator's can land any more), or deleted since: nothing to remove.
                work.Record.RemoveOrganization(entry);
                return false;
            case PendingVerdict.Undecided:
                work.Kept.Add($"organization {entry.Name}: someone else made it, or took it over, while a create of the operator's was pending, and the token's user does not administer it, so whose it is cannot be told; it counts as the operator's only if it turns out to be");
                work.Blocked = true;
                return false;
            case PendingVerdict.Operators:
                var robots = (await quay.ListRobotsAsync(entry.Name, ct)).ValueOrThrow("list robots of " + entry.Name)!;
                var othersMark = await OtherClusterMarks.ReadAsync(work, quay, entry, OtherClusterMarks.MarkedByAnOperator(robots, work.Name), ct);
                // Judged once, as the sync would record it: a removal blocked for someone's content does not judge it again.
                entry.Origin = othersMark is null ? Origin.Created : Origin.Found;
                return true;
            case PendingVerdict.SomeoneElses:
            default:
                entry.Origin = Origin.Found;
                return true;
        }
    }

    /// <summary>
    /// The repositories and robots of an organization the operator created that someone else made, and the
    /// organization's repositories and robots as listed (reused to find the operator's own). An unrecorded robot read
    /// for its mark and found to be the operator's is recorded as such.
    /// </summary>
    private static async Task<(List<string> Foreign, List<QuayRepository> Repositories, List<QuayRobot> Robots)> ForeignContentAsync(NamespaceWork work, Reach reach,
        OrganizationRecord entry, CancellationToken ct)
    {
        var quay = reach.Quay;
        // Quay refuses the robot list of an organization that does not exist (403): then it is gone already (an
        // earlier attempt deleted it and stopped before the record said so) and there is nothing to protect.
        var selected = await quay.ListRobotsAsSelectedAsync(entry.Name, ct);
        if (await quay.RefusedAsGoneAsync(selected, entry.Name, ct)) return ([], [], []);
        // Read side by side: a teardown waits for all three, one round trip.
        var listing = quay.ListRepositoriesAsync(entry.Name, ct);
        var looking = quay.GetOrganizationAsync(entry.Name, ct);
        var applying = quay.ListApplicationsAsync(entry.Name, ct);
        await Task.WhenAll(listing, looking, applying);
        var repositories = (await listing).ValueOrThrow("list the repositories of " + entry.Name)!;
        var foreign = new List<string>();
        // The operator makes no team: any but the owners team Quay makes with the organization is someone's, with its
        // members and the roles it holds, and would go with the organization.
        var shown = (await looking).ValueOrThrow("look up organization " + entry.Name);
        if (OrganizationReplacement.Judge(work, entry, shown)) return ([], [], []);
        foreach (var team in (shown?.Teams?.Keys ?? Enumerable.Empty<string>()).Where(t => t != OwnersTeam).Order(StringComparer.Ordinal)) foreign.Add("team " + team);
        // Nor an OAuth application: one is someone's (tokens minted for their CI, say), and Quay deletes it with the organization.
        foreach (var application in ((await applying).ValueOrThrow("list the OAuth applications of " + entry.Name) ?? []).Select(a => a.Name).Order(StringComparer.Ordinal))
            foreign.Add("OAuth application " + UserText.Quote(application));
        foreach (var repository in repositories)
        {
            // By the mark as listed, recorded or not: a recorded one may have been deleted and made again by someone else.
            var origin = entry.Repository(repository.Name)?.Origin == Origin.Found ? Origin.Found
                : work.Markers.OriginOfRepository(repository, work.Name, repository.Name, entry);
            if (origin != Origin.Created)
                foreign.Add($"repository {repository.Name}{(RepositoryOrigins.LostItsMark(entry, repository.Name) ? " (on record as the operator's, but its description no longer carries this cluster's mark)" : "")}");
        }
        var selectedRobots = selected.ValueOrThrow("list robots of " + entry.Name)!;
        // Quay deletes every robot it selects with the organization, a look-alike organization's too: the organization
        // stays while one is there (removing what the operator made inside), as for someone's content in it.
        foreach (var robot in selectedRobots.Where(r => !QuayClient.IsRobotOf(entry.Name, r)).Select(r => r.Name).Order(StringComparer.Ordinal))
            foreign.Add($"robot {robot}, which Quay selects with this organization's robots ('_' in its name pattern matches any character)");
        var listedRobots = selectedRobots.Where(r => QuayClient.IsRobotOf(entry.Name, r)).ToList();
        await RemadeRobots.JudgeAsync(work, quay, entry, RemadeRobots.Among(entry, listedRobots), inUse: false, ct);
        foreach (var robot in listedRobots)
        {
            if (entry.Robot(robot.Name) is { } recorded)
            {
                if (recorded.Origin != Origin.Created) foreign.Add("robot " + robot.Name);
                continue;
            }
            // Unrecorded, so its service account is known only as far as the name tells (the short name is the account's name when valid).
            var shortName = QuayNames.RobotShortNameOf(robot.Name);
            var read = await quay.GetRobotAsync(entry.Name, shortName, ct);
            if (read.Outcome == QuayOutcome.NotFound) continue;
            var marked = read.ValueOrThrow("read robot " + robot.Name)!;
            // Judged for the service account it says it is for, as the sync judges it: an earlier version's description
            // names the account, whose robot's short name may differ (mapped for Quay, or shortened).
            var account = OwnershipMarkers.ServiceAccountOf(marked, work.Name);
            if (work.Markers.OriginOfRobot(marked, work.Name, account, entry) != Origin.Created) foreign.Add("robot " + robot.Name);
            else entry.SetRobot(robot.Name, account, Origin.Created, marked.Created);
        }
        return (foreign, repositories, listedRobots);
    }

    /// <summary>
    /// Inside an organization that stays: the robots the operator created (with the default permissions they hold),
    /// the repository roles and default permissions it gave other robots (<see cref="GivenPermissions"/>), and with
    /// repositoryDeletionPolicy Delete the repositories it created.
    /// </summary>
    private async Task RemoveOwnContentAsync(NamespaceWork work, Reach reach, OrganizationRecord entry, string why, List<QuayRepository>? listed,
        List<QuayRobot>? listedRobots, CancellationToken ct)
    {
        var quay = reach.Quay;
        var robots = await OwnRobotsAsync(work, reach, entry, listedRobots, ct);
        var ours = await RecordOwnRepositoriesAsync(work, reach, entry, listed, ct);
        if (reach.Config.DeleteRepositories) await RemoveRepositoriesAsync(work, reach, entry, ours, why, ct);
        else
            foreach (var repository in ours)
                work.Kept.Add($"repository {entry.Name}/{repository} (repositoryDeletionPolicy Keep)");

        foreach (var robot in (entry.RepositoryPermissions ?? []).Select(p => p.Robot).Where(r => !robots.Contains(r)).Distinct(StringComparer.Ordinal).ToList())
            await GivenPermissions.GiveBackAsync(work, quay, entry, robot, why, null, ct);
        foreach (var robot in robots)
        {
            (await quay.DeleteRobotAsync(entry.Name, QuayNames.RobotShortNameOf(robot), ct)).ValueOrThrow("delete robot " + robot);
            entry.RemoveRobot(robot);
            foreach (var permission in entry.DefaultPermissionsOf(robot).ToList()) entry.RemoveDefaultPermission(permission);
            work.Changed("RobotDeleted", $"Deleted Quay robot {robot} from organization {entry.Name}: {why}");
        }
        foreach (var permission in (entry.DefaultPermissions ?? []).ToList())
        {
            var resolved = await DefaultPermissionPlaceholders.IdOrForgetAsync(quay, entry, permission, work.Now, options.Value.UnansweredCreateGrace, ct);
            // Polled while it may still land, as an organization is, so one that does is deleted rather than orphaned.
            DefaultPermissionPlaceholders.Report(work, permission.Robot, resolved, DefaultPermissionPlaceholders.OnceLanded.Deleted, LateCreatePoll);
            if (resolved.Id is not { } id) continue;
            (await quay.DeletePrototypeAsync(entry.Name, id, ct)).ValueOrThrow($"delete the default permission of {permission.Robot}");
            entry.RemoveDefaultPermission(permission);
            work.Changed("DefaultPermissionDeleted", $"Deleted the default permission the operator gave {permission.Robot} in {entry.Name}: {why}");
        }
    }

    /// <summary>
    /// The robots of the organization the operator created: those named after a service account (of the matrix or of
    /// the record), each read and judged by its mark (a recorded one too: it may have been deleted just before a crash
    /// and made again by someone else since), and those the record does not know whose description says an operator
    /// of this kind made them, read for their mark: one made just before a crash for a service account that left the
    /// matrix since is named by nothing else.
    /// </summary>
    private static async Task<List<string>> OwnRobotsAsync(NamespaceWork work, Reach reach, OrganizationRecord entry, List<QuayRobot>? listed,
        CancellationToken ct)
    {
        listed ??= (await reach.Quay.ListRobotsAsync(entry.Name, ct)).ValueOrThrow("list robots of " + entry.Name)!;
        // Robots made again since the record was written, judged before anything is given back or deleted (in a found
        // organization too, which the check for someone's content does not read).
        await RemadeRobots.JudgeAsync(work, reach.Quay, entry, RemadeRobots.Among(entry, listed), inUse: false, ct);
        await RecordMarkedRobotsAsync(work, reach.Quay, entry, listed, ct);
        var accounts = reach.Config.ServiceAccounts.Select(a => a.Name).Concat(entry.Robots?.Select(r => r.ServiceAccount) ?? [])
            .Where(a => a.Length > 0).Distinct(StringComparer.Ordinal);
        foreach (var account in accounts)
        {
            var shortName = QuayNames.RobotShortNameFor(entry.Name, account);
            var name = QuayNames.RobotFullName(entry.Name, shortName);
            if (entry.Robot(name) is { Origin: Origin.Found }) continue;
            var read = await reach.Quay.GetRobotAsync(entry.Name, shortName, ct);
            if (read.Outcome == QuayOutcome.NotFound)
            {
                entry.RemoveRobot(name);
                continue;
            }
            var robot = read.ValueOrThrow("read robot " + name)!;
            entry.SetRobot(name, account, work.Markers.OriginOfRobot(robot, work.Name, account, entry), robot.Created);
        }
        return (entry.Robots ?? []).Where(r => r.Origin == Origin.Created).Select(r => r.Name).ToList();
    }

    /// <summary>
    /// Brings the record's repositories of the organization in line with its repository list, judged by the operator's
    /// mark as listed now: those it made are recorded Created even if a crash kept them out of the record (so a kept
    /// one is never forgotten, and a policy changed later still finds it), those someone else made are Found (also a
    /// recorded one someone made again under the same name after the operator deleted it), and those gone are dropped.
    /// Returns the repositories that are the operator's now: judged at use, which the record alone does not say (an
    /// unmarked one on record as inherited, in an organization whose maker Quay does not show, is someone's meanwhile).
    /// </summary>
    private static async Task<List<string>> RecordOwnRepositoriesAsync(NamespaceWork work, Reach reach, OrganizationRecord entry, List<QuayRepository>? listed,
        CancellationToken ct)
    {
        listed ??= (await reach.Quay.ListRepositoriesAsync(entry.Name, ct)).ValueOrThrow("list the repositories of " + entry.Name)!;
        foreach (var stale in (entry.Repositories ?? []).Where(r => listed.All(l => l.Name != r.Name)).ToList()) entry.RemoveRepository(stale.Name);
        var ours = new List<string>();
        foreach (var repository in listed.Where(r => entry.Repository(r.Name)?.Origin != Origin.Found))
            if (RepositoryOrigins.Record(work, entry, repository) == Origin.Created) ours.Add(repository.Name);
        return ours;
    }

    /// <summary>repositoryDeletionPolicy Delete: the repositories that are the operator's (<see cref="RecordOwnRepositoriesAsync"/>).</summary>
    private static async Task RemoveRepositoriesAsync(NamespaceWork work, Reach reach, OrganizationRecord entry, List<string> ours, string why, CancellationToken ct)
    {
        foreach (var repository in ours)
        {
            (await reach.Quay.DeleteRepositoryAsync(entry.Name, repository, ct)).ValueOrThrow($"delete repository {entry.Name}/{repository}");
            entry.RemoveRepository(repository);
            work.Changed("RepositoryDeleted", $"Deleted Quay repository {entry.Name}/{repository}: {why} (repositoryDeletionPolicy Delete)");
        }
    }

    /// <summary>
    /// Whether an organization whose entry holds nothing (a found one) holds nothing of the operator's in Quay either.
    /// Its robots and repositories carrying this cluster's mark that the record does not know (made just before a
    /// crash lost the record's write) are recorded as created. False also when no integration with credentials reaches
    /// its Quay: then it cannot be told, and the entry stays.
    /// </summary>
    public static async Task<bool> HoldsNothingInQuayAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct)
    {
        if (work.IntegrationFor(entry.Host) is not { Client: { } quay, Config: { } config }) return false;
        var robots = await quay.ListRobotsAsync(entry.Name, ct);
        if (await quay.RefusedAsGoneAsync(robots, entry.Name, ct)) return true; // gone, with all it held
        var listed = robots.ValueOrThrow("list robots of " + entry.Name)!;
        await RecordMarkedRobotsAsync(work, quay, entry, listed, ct);
        await RecordOwnRepositoriesAsync(work, new Reach(quay, config), entry, null, ct);
        return entry.HoldsNothing();
    }

    /// <summary>
    /// Reads the robots listed whose description says an operator of this kind made them and that the record does not
    /// know: one with this cluster's mark is recorded as created (<see cref="OtherClusterMarks.ReadAsync"/>).
    /// </summary>
    private static async Task RecordMarkedRobotsAsync(NamespaceWork work, QuayClient quay, OrganizationRecord entry, List<QuayRobot> listed, CancellationToken ct) =>
        await OtherClusterMarks.ReadAsync(work, quay, entry, OtherClusterMarks.MarkedByAnOperator(listed, work.Name).Where(r => entry.Robot(r) is null), ct);

    /// <summary>The Quay an organization lives on, and the configuration of the integration that reaches it.</summary>
    private sealed record Reach(QuayClient Quay, IntegrationConfig Config);

    /// <summary>
    /// Why the organization is kept whatever the cleanupPolicy of <paramref name="policyOf"/> (the integration whose
    /// policy would otherwise decide) says, or null: another integration's cleanupPolicy Keep kept it when the namespace
    /// left that integration (<see cref="OrganizationRecord.KeptBy"/>).
    /// </summary>
    public static string? KeptByAnother(OrganizationRecord entry, string? policyOf) =>
        entry.KeptBy is { } keeper && keeper != policyOf ? $"kept by the cleanupPolicy Keep of QuayIntegration {keeper} when the namespace left it" : null;

    /// <summary>
    /// Nothing is removed (cleanupPolicy Keep): what stays is listed as kept, for <paramref name="why"/>. One taken over
    /// from the Go operator gets its inventory now (best effort; with no Quay to read at all, an empty one), so what a
    /// person adds to it while kept is never inherited.
    /// </summary>
    public async Task KeepAsync(NamespaceWork work, OrganizationRecord entry, string why, CancellationToken ct)
    {
        if (entry.Origin == Origin.Creating && !await SettlePendingToKeepAsync(work, entry, why, ct)) return;
        await SettleUnansweredPermissionsToKeepAsync(work, entry, ct);
        await takeoverInventory.TryRecordAsync(work, entry, ct);
        if (entry.AdoptedFrom is not null && entry.AdoptedContentRecorded != true
            && work.Integration is { Mode: IntegrationMode.Deleting, Client: null, Config: { } config } && config.RegistryHost == entry.Host
            && work.IntegrationFor(entry.Host)?.Client is null)
        {
            // Taken over from the Go operator and let go by its integration, deleted with no Quay client (cleanupPolicy
            // Keep builds none), and no other integration reaches that Quay: no inventory can be taken now or later under
            // it, and what people add from here on could not be told from what the Go operator made, so nothing unmarked
            // in it will count as the operator's. (An inventory that merely failed through another one is taken later.)
            entry.AdoptedContentRecorded = true;
            work.Kept.Add($"what the Go operator made in organization {entry.Name}: no Quay could be read to tell it from what people add later, so it is never deleted by the operator");
        }
        if (!entry.HoldsNothing()) work.Kept.Add($"{Describe(entry)} ({why})");
    }

    /// <summary>
    /// A create that got no answer, in an organization kept by policy: settled as at a removal, so one never made is
    /// forgotten once it can no longer land rather than listed (and waited on) as the operator's for the namespace's
    /// life. Nothing else needs Quay here: a failure leaves it pending, listed, to be settled at the next look. False when
    /// nothing is left to do now. (Without a client of its Quay, under an integration's deletion with cleanupPolicy
    /// Keep say, it stays pending on record, listed.)
    /// </summary>
    private async Task<bool> SettlePendingToKeepAsync(NamespaceWork work, OrganizationRecord entry, string why, CancellationToken ct)
    {
        // Only with the token of the namespace's own integration, most likely the one whose create is pending: the
        // verdict "the operator's" rests on the token's user administering what it made, which another integration's
        // user may do for someone else's organization. Kept as it is, nothing needs deciding now.
        if (work.Integration is not { Client: { } quay, Config: { } config } || config.RegistryHost != entry.Host) return true;
        try
        {
            return await SettlePendingAsync(work, quay, entry, removing: false, ct);
        }
        catch (QuayOperationException e) when (!ct.IsCancellationRequested)
        {
            work.Kept.Add($"organization {entry.Name}: a create of the operator's got no answer and may have landed; not looked at now ({e.Message}), so kept on record ({why})");
            work.Blocked = true; // looked at again within a drift interval
            return false;
        }
    }

    /// <summary>
    /// Default permissions written ahead of a create that got no answer, in an organization kept by policy: settled as
    /// at a removal, while the create may still land and a little after (polled, as a teardown polls), so one that landed
    /// is on record by its id when what the operator made there goes later (with the namespace, or under a policy
    /// changed to Delete). Seen for the first time only then, it could no longer be told from one the robot's owner gave
    /// it, and would stay in their organization for good. One never made is forgotten once it can no longer land. Any
    /// integration reaching the organization's Quay may look: the match is by robot and id alone.
    /// </summary>
    private async Task SettleUnansweredPermissionsToKeepAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct)
    {
        var unanswered = DefaultPermissionPlaceholders.WrittenAhead(entry);
        if (unanswered.Count == 0) return;
        if (work.IntegrationFor(entry.Host)?.Client is not { } quay)
        {
            // An integration deleted under cleanupPolicy Keep builds no client, say, and none other reaches that Quay.
            work.Kept.Add($"default permissions the operator gave in organization {entry.Name} whose create got no answer: no QuayIntegration with " +
                          $"credentials for {entry.Host} can look for them, so one that lands late stays in Quay");
            return;
        }
        var grace = options.Value.UnansweredCreateGrace;
        try
        {
            var robots = await quay.ListRobotsAsync(entry.Name, ct);
            if (await quay.RefusedAsGoneAsync(robots, entry.Name, ct))
            {
                foreach (var permission in unanswered) entry.RemoveDefaultPermission(permission); // gone with the organization
                return;
            }
            // A robot its owner deleted and made again took what was given to the old one along: its notes are forgotten
            // first, so the default permission its owner gives the new one is never claimed.
            await RemadeRobots.JudgeAsync(work, quay, entry, RemadeRobots.Among(entry, robots.ValueOrThrow("list robots of " + entry.Name)!), inUse: false, ct);
            foreach (var permission in DefaultPermissionPlaceholders.WrittenAhead(entry)) // what the robots made again left
            {
                var resolved = await DefaultPermissionPlaceholders.IdOrForgetAsync(quay, entry, permission, work.Now, grace, ct);
                DefaultPermissionPlaceholders.Report(work, permission.Robot, resolved, DefaultPermissionPlaceholders.OnceLanded.Kept, LateCreatePoll);
            }
        }
        catch (QuayOperationException e) when (!ct.IsCancellationRequested)
        {
            work.Kept.Add($"default permissions the operator gave in organization {entry.Name} whose create got no answer: not looked for now ({e.Message}); " +
                          "they stay on record as the operator's until they can be");
            // Looked for again soon, inside the window in which a landing can still be told as the operator's (a look at
            // its very end would come too late); after it a look can only forget the entry or leave it, which the next
            // look of the organization does.
            var closes = DefaultPermissionPlaceholders.WrittenAhead(entry).Max(p => DefaultPermissionPlaceholders.ClaimableUntil(p, work.Now, grace));
            if (closes - work.Now is { } left && left > MinLateLook) work.LookAgainAfter(left > 2 * LateCreatePoll ? LateCreatePoll : left / 2);
        }
    }

    /// <summary>What stays of an organization entry when nothing is removed, in words for the status.</summary>
    private static string Describe(OrganizationRecord entry) => entry.IsOwned()
        ? $"organization {entry.Name}{(entry.Host.Length > 0 ? $" on {entry.Host}" : "")}"
        : $"what the operator created in organization {entry.Name}{(entry.Host.Length > 0 ? $" on {entry.Host}" : "")}";
}
