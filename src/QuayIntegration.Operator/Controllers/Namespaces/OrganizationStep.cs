using QuayIntegration.Operator.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Where a namespace becomes an organization: makes sure the namespace's current organization exists in Quay, records
/// crash-safely who made it, and loads what Quay holds in it (<see cref="QuayObservation"/>).
///
/// Ownership is decided once and then read from the record:
/// <list type="bullet">
/// <item>Quay says the organization is absent → <see cref="Origin.Creating"/> is written to the record (and withdrawn
/// when Quay refuses a create with no earlier one written ahead, which then certainly made nothing), then it is
/// created, then <see cref="Origin.Created"/> (saved with the rest of the sync: Creating already counts as the
/// operator's everywhere). An organization found while the record says Creating was therefore made by this operator (a
/// crash came between the create and the record), so nothing is orphaned, unless what Quay shows of it says
/// otherwise (<see cref="PendingCreate"/>): an email other than the one the operator's creates send makes it Found,
/// and one the token's user does not administer, whose email does not show, is left Creating, undecided, until someone
/// makes the user an owner.</item>
/// <item>It exists and the record has no entry → <see cref="Origin.Found"/>: it is used, never deleted. (What earlier
/// versions and the Go operator decided is in the record by then: <see cref="LegacyOwnership"/>.)</item>
/// <item>A recorded organization is not looked up: its robot list proves it exists, and Quay's 403 for the robots of a
/// missing organization (a full-access superuser's 404 for its default permissions) sends the step through the
/// lookup, which creates it again.</item>
/// </list>
/// </summary>
public sealed class OrganizationStep(OwnershipRecords records, QuayObservations observations, TimeProvider time, IOptions<QuayOptions> options,
    ILogger<OrganizationStep> log)
{
    public async Task RunAsync(NamespaceWork work, CancellationToken ct)
    {
        var org = work.Organization;
        var basis = ObservationBasis.Of(work);
        var entry = work.Record.Organization(work.Host, org);
        var known = entry is { Origin: Origin.Created or Origin.Found };
        var observation = known && !TokenRotationStep.IsDue(work) ? observations.Current(work.Name, basis, work.Now, work.Config!.DriftCheckInterval) : null;
        if (observation is not null)
        {
            work.Entry = entry;
            work.Observation = observation;
            return;
        }

        if (known)
        {
            try
            {
                Use(work, entry!, await ReadCheckedAsync(work, entry!, basis, ct));
                return;
            }
            // Quay refuses (403) what a missing organization holds; to a superuser with full access
            // (FEATURE_SUPERUSERS_FULL_ACCESS and a super:user token) it lists no robots and answers 404 for the
            // default permissions instead.
            catch (QuayOperationException e) when (e.Outcome is QuayOutcome.Forbidden or QuayOutcome.NotFound)
            {
                log.RobotsRefused(org, e.Message);
            }
        }

        var existing = (await work.Quay.GetOrganizationAsync(org, ct)).ValueOrThrow("look up organization " + org);
        if (existing is not null)
        {
            if (known) throw PendingCreate.NotAnAdministrator(org, pending: false);
            var pending = entry?.Origin == Origin.Creating;
            // With no create of the operator's pending, it is found, whoever made it.
            var verdict = pending ? await JudgeAsync(work, entry!, existing, ct) : PendingVerdict.SomeoneElses;
            if (verdict == PendingVerdict.Undecided) throw PendingCreate.NotAnAdministrator(org, pending: true);
            var operators = verdict == PendingVerdict.Operators;
            // The operator's by its look is recorded so only once no robot in it shows another cluster's mark: another
            // cluster's operator, on the same Quay user, sends the same email.
            entry = work.Record.SetOrganization(work.Host, org, operators ? Origin.Creating : Origin.Found);
            Use(work, entry, await ReadCheckedAsync(work, entry, basis, ct));
            if (operators) entry.Origin = Origin.Created;
            else
                work.Changed("OrganizationExists", pending
                    ? $"Quay organization {org} was made by someone else ({PendingCreate.EmailShown(existing)}, not the operator's) while the operator's create of it was pending; it is used, and never deleted by the operator"
                    : $"Quay organization {org} already existed; it is used, and never deleted by the operator");
            return;
        }

        if (entry?.KeptWhilePrefix is not null)
        {
            // The Go operator's organization, kept for the namespace (LegacyOwnership), is gone: nothing of it is left to
            // keep, and one made again under its name would be the operator's own under a name no prefix gives. The
            // namespace moves to its prefix's organization at the retry.
            work.Record.RemoveOrganization(entry);
            await records.SaveAsync(work.Record, hold: true, ct);
            throw new ReconcileException($"Quay organization {org}, taken over from the Go operator and kept for the namespace, is gone; the namespace moves to the organization its organizationPrefix gives");
        }

        var recreated = known;
        // A create of an earlier attempt, written ahead too, may still land (a replaced leader's last call).
        var earlierAttempt = entry?.Origin == Origin.Creating;
        var firstAttempt = entry is null;
        // When the earlier attempt's create was written ahead: while nothing newer was sent, that is the create that
        // may still land (PendingCreate times its grace from this).
        var earlierPendingSince = earlierAttempt ? entry!.PendingSince : null;
        var wasCreated = entry?.Origin == Origin.Created;
        entry = work.Record.SetOrganization(work.Host, org, Origin.Creating);
        // A create that gets no answer may still land for a while (OrganizationCleanup): timed from now, not from the
        // reconcile's start, which the lookup before may have pushed far back.
        entry.PendingSince = time.GetUtcNow().UtcDateTime;
        // Quay says the organization is absent, so what the record held in it went with it (its robots at once, the rest
        // with Quay's garbage collection): nothing in an organization of this name made from now on, by this operator or
        // anyone, is the operator's because an earlier one's was. Nor is anything inherited from the Go operator.
        (entry.Robots, entry.DefaultPermissions, entry.Repositories, entry.RepositoryPermissions) = (null, null, null, null);
        (entry.AdoptedFrom, entry.AdoptedContentRecorded, entry.AdoptedMakerChecked, entry.KeptWhilePrefix) = (null, null, null, null);
        // Written ahead (see the class comment), always: the write's success proves that no other attempt (a replaced
        // leader's) wrote the record since it was read, which is what earlierAttempt relies on.
        try
        {
            await records.SaveAsync(work.Record, hold: true, ct, force: true);
        }
        catch (RecordFieldsDroppedException) when (!earlierAttempt)
        {
            // Refused for fields an older QuayNamespace schema does not know, or written without them: no create is
            // sent, so the write ahead is withdrawn, as for a refused create below.
            await WithdrawAsync(work, entry, firstAttempt);
            throw;
        }
        var created = await work.Quay.CreateOrganizationAsync(org, ct);
        if (!earlierAttempt && created.RefusedOutright && created.Outcome != QuayOutcome.AlreadyExists)
        {
            // Quay refused the only create the record had written ahead, so it made nothing and no create of the operator's
            // can still land: the write ahead is withdrawn at once, or an organization someone makes under this name
            // before the next attempt (the one the refusal's message tells them to make, say) would be found while the
            // record says Creating, and taken for the operator's. A 429 is such a refusal: nginx's rate limit answers it
            // before Quay. (No answer, a 408 or a 5xx leave Creating: the create may have happened, or may still.)
            await WithdrawAsync(work, entry, firstAttempt);
        }
        else if (earlierAttempt && created.RefusedOutright)
        {
            // This create made nothing ("already exists" included): the one that may still land is the earlier
            // attempt's, timed as it was (saved with the failure, judged by below), so refused retries do not start its
            // grace again and again.
            entry.PendingSince = earlierPendingSince;
        }
        if (created.Outcome == QuayOutcome.Forbidden)
            throw new QuayOperationException("create organization " + org, created.Outcome, created.StatusCode,
                $"Quay refused to create organization {org}: the token's user may not create organizations (FEATURE_SUPERUSERS_ORG_CREATION_ONLY leaves that to superusers, and restricted users never may), or the token lacks user:admin; create the organization and make the token's user an owner, or use a token of a user who may create organizations");
        if (created.Outcome == QuayOutcome.NameNotAvailableYet)
            throw new QuayOperationException("create organization " + org, created.Outcome, created.StatusCode,
                $"Quay organization {org} cannot be created yet: Quay keeps the name of a deleted organization until its garbage collection runs");
        if (created.Outcome != QuayOutcome.AlreadyExists) created.ValueOrThrow("create organization " + org);
        if (created.Outcome == QuayOutcome.AlreadyExists)
        {
            // Made between Quay's "absent" and this create. By this operator only if an earlier attempt had written it
            // ahead (the record just saved over it proves no other was) and the organization does not say otherwise;
            // else by someone else, another cluster's operator sharing the Quay included: used as found, checked for
            // that cluster's marks.
            if (earlierAttempt)
            {
                var made = (await work.Quay.GetOrganizationAsync(org, ct)).ValueOrThrow("look up organization " + org);
                // Whose it is cannot be told yet, or no organization shows (the name is a user's, or the organization
                // went again at once): the write ahead stays, and the next attempt looks again.
                var verdict = await JudgeAsync(work, entry, made, ct);
                if (verdict == PendingVerdict.Undecided) throw PendingCreate.NotAnAdministrator(org, pending: true);
                if (verdict == PendingVerdict.Absent) throw NoOrganizationShown(org, created.StatusCode);
                if (verdict == PendingVerdict.Operators)
                {
                    Use(work, entry, await ReadCheckedAsync(work, entry, basis, ct));
                    entry.Origin = Origin.Created;
                    return;
                }
            }
            else if ((await work.Quay.GetOrganizationAsync(org, ct)).ValueOrThrow("look up organization " + org) is null)
            {
                // Nothing was made, and there is nothing to use: the write ahead is withdrawn, as for any refusal, and
                // the namespace fails saying why (it was recorded as found, and told as someone's organization in use,
                // at every attempt). One the operator made, deleted in Quay since, left nothing to remember: the entry
                // goes rather than turn into a found organization that is a user.
                await WithdrawAsync(work, entry, firstAttempt || wasCreated);
                throw NoOrganizationShown(org, created.StatusCode);
            }
            entry.Origin = Origin.Found;
            // Saved at once: left Creating, an interrupted reconcile would leave it to be read as the operator's.
            await records.SaveAsync(work.Record, hold: true, ct);
            Use(work, entry, await ReadCheckedAsync(work, entry, basis, ct));
            work.Changed("OrganizationExists", $"Quay organization {org} was made by someone else as the operator went to create it; it is used, and never deleted by the operator");
            return;
        }
        entry.Origin = Origin.Created;
        work.Changed(recreated ? "OrganizationRecreated" : "OrganizationCreated",
            recreated ? $"Re-created Quay organization {org}, which had been deleted in Quay" : $"Created Quay organization {org}");
        log.OrganizationCreated(org, work.Name);
        work.OrganizationCreatedNow = true;
        // Created a moment ago: known to be empty, nothing to read.
        Use(work, entry, new QuayObservation(org, basis, work.Now));
    }

    /// <summary>Quay's "already exists" for a name no organization shows: a user's, or an organization deleted again at once.</summary>
    private static QuayOperationException NoOrganizationShown(string org, int statusCode) =>
        new("create organization " + org, QuayOutcome.AlreadyExists, statusCode,
            $"Quay says {org} already exists but shows no organization of that name: a Quay user holds the name (choose another organizationPrefix, or rename that user), or the organization was deleted again at once");

    /// <summary><see cref="PendingCreate.JudgeAsync"/> of what Quay shows of the pending <paramref name="entry"/>'s organization, now.</summary>
    private Task<PendingVerdict> JudgeAsync(NamespaceWork work, OrganizationRecord entry, QuayOrganization? shown, CancellationToken ct) =>
        PendingCreate.JudgeAsync(work.Quay, entry, shown, time.GetUtcNow(), options.Value.UnansweredCreateGrace, ct);

    private void Use(NamespaceWork work, OrganizationRecord entry, QuayObservation observation)
    {
        work.Entry = entry;
        work.Observation = observation;
        work.Verified = true;
        observations.Set(work.Name, observation);
    }

    /// <summary>
    /// Reads the organization and checks it is not another cluster's (<see cref="OtherClusterMarks"/>) before the
    /// observation is kept: a kept one spares the next reconcile all reading, this check included. In one the record
    /// holds as created, only the robots recorded as found are read for their mark: another cluster's operator may
    /// have made one again under the name of one of this operator's (<see cref="RemadeRobots"/>), and its token must
    /// not be used here, at this read or any later one.
    /// </summary>
    private static async Task<QuayObservation> ReadCheckedAsync(NamespaceWork work, OrganizationRecord entry, ObservationBasis basis, CancellationToken ct)
    {
        var (observation, markedByOperator) = await ReadAsync(work, entry.Name, basis, ct);
        await OrganizationReplacement.CheckAsync(work, entry, name => observation.Credentials.ContainsKey(name), ct);
        var suspects = entry.Origin == Origin.Created ? markedByOperator.Where(r => entry.Robot(r) is { Origin: Origin.Found }) : markedByOperator;
        if (await OtherClusterMarks.ReadAsync(work, work.Quay, entry, suspects, ct) is { } robot)
            throw new OrganizationOfAnotherClusterException(entry.Name, OrganizationOfAnotherClusterException.ClusterOf(robot));
        return observation;
    }

    /// <summary>
    /// The robot list (with tokens, of which the observation keeps digests), the default permissions, and the repository permissions of every robot the
    /// namespace uses or recorded: 2 + S calls, whatever the number of repositories. Also the robots whose description
    /// says this operator made them (in this cluster or another), the ones whose mark may matter: needed by the check
    /// that follows the read, so not kept in the observation.
    /// </summary>
    private static async Task<(QuayObservation Observation, List<string> MarkedByOperator)> ReadAsync(NamespaceWork work, string org,
        ObservationBasis basis, CancellationToken ct)
    {
        var robotList = work.Quay.ListRobotsAsync(org, ct);
        var prototypeList = work.Quay.ListPrototypesAsync(org, ct);
        var robots = (await robotList).ValueOrThrow("list robots of " + org) ?? [];
        var prototypes = (await prototypeList).ValueOrThrow("list default permissions of " + org) ?? [];

        if (work.Record.Organization(work.Host, org) is { } entry)
            await RemadeRobots.JudgeAsync(work, work.Quay, entry, RemadeRobots.Among(entry, robots), inUse: true, ct);
        var observation = new QuayObservation(org, basis, work.Now);
        foreach (var robot in robots) work.TokenSeen(observation, robot.Name, robot.Token);
        foreach (var prototype in prototypes) observation.AddPrototype(prototype);

        var relevant = work.Robots.Select(r => r.FullName)
            .Concat(work.Record.Organization(work.Host, org)?.Robots?.Select(r => r.Name) ?? [])
            .Distinct(StringComparer.Ordinal)
            .Where(observation.Credentials.ContainsKey)
            .ToList();
        var permissions = await Task.WhenAll(relevant.Select(async robot =>
        {
            var shortName = QuayNames.RobotShortNameOf(robot);
            var result = await work.Quay.ListRobotPermissionsAsync(org, shortName, ct);
            // A robot deleted between the two lists is simply not there any more.
            return (robot, permissions: result.Outcome == QuayOutcome.NotFound ? null : result.ValueOrThrow($"list the permissions of robot {robot}"));
        }));
        foreach (var (robot, granted) in permissions)
        {
            if (granted is null)
            {
                observation.RobotDeleted(robot);
                continue;
            }
            foreach (var (repository, role) in granted) observation.Grant(robot, repository, role);
            observation.PermissionsKnown(robot, replace: false);
        }
        return (observation, OtherClusterMarks.MarkedByAnOperator(robots, work.Name));
    }

    /// <summary>
    /// Takes back a write ahead whose create was not sent, or made nothing: a first create's entry goes; an organization
    /// the record knew, deleted in Quay since, stays on record as found, the safe side, until the operator makes it again.
    /// </summary>
    private async Task WithdrawAsync(NamespaceWork work, OrganizationRecord entry, bool firstAttempt)
    {
        if (firstAttempt) work.Record.RemoveOrganization(entry);
        else entry.Origin = Origin.Found;
        // Not cut short by a stop or a lost lease: until this write, the record says a create is pending that is not.
        await records.SaveAsync(work.Record, hold: true, CancellationToken.None);
    }
}
