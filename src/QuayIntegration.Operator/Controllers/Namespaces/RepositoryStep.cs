using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// One private repository per ImageStream in the current organization, on which every robot of the matrix holds its
/// role; the repository of a deleted ImageStream is deleted only when the operator created it and
/// repositoryDeletionPolicy is Delete.
///
/// Nothing is asked of Quay for a repository on which the observation shows every robot with its role (the steady
/// state). Otherwise the repository is created first: a new one gets the robots' roles from the organization's
/// default permissions (Quay's apply_default_permissions) and is recorded as Created; one that already existed is
/// adopted for permissions only (recorded as Found unless it carries this operator's mark) and given the missing
/// roles explicitly, at the sync that follows at once, written ahead. A repository on which some robot already holds a
/// permission exists, so only the missing roles are written, once it is judged by its mark when the record does not
/// name it (its create's record write was lost: a crash in between, a conflict met twice) or names it as the
/// operator's (<see cref="JudgeExistingAsync"/>). Each repository is handled on its own (<see cref="Isolation"/>).
/// </summary>
public sealed class RepositoryStep(ClusterCaches caches, QuayObservations observations, OwnershipRecords records, EventRecorder events)
{
    public async Task RunAsync(NamespaceWork work, CancellationToken ct)
    {
        var streams = caches.ImageStreams.ListInNamespace(work.Name);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stream in streams)
        {
            if (QuayNames.IsValidRepository(stream.Name)) wanted.Add(stream.Name);
            else events.Warning(stream.ToInvolvedObject(), "InvalidRepositoryName", $"ImageStream name '{stream.Name}' is not a valid Quay repository name; no repository is created");
        }
        await EnsureAsync(work, wanted, ct);
        // No ImageStream is known to be gone while the cluster does not serve them (openshift-apiserver's aggregated
        // API not registered yet, say): an empty cache would have every repository of the operator deleted, images and all.
        if (caches.ImageStreams.IsServed) await RemoveUnwantedAsync(work, wanted, ct);
        else if (work.Entry!.Repositories?.Any(r => r.Origin == Origin.Created) == true)
            work.Kept.Add("the repositories: the cluster does not serve ImageStreams now, so none is known to be gone");
    }

    /// <param name="HeldBefore">The roles read on a repository that exists and was judged someone's in this sync.</param>
    private sealed record Plan(string Repository, IReadOnlyList<DesiredRobot> Robots, IReadOnlyList<DesiredRobot> Missing, bool Exists,
        IReadOnlyDictionary<string, string>? HeldBefore = null);

    /// <param name="Existing">The repository found in the create's place, as read, to be judged and recorded (<see cref="Judge"/>).</param>
    /// <param name="FoundTheirs">Someone's found in the create's place: no role given on it in this sync.</param>
    private sealed record Outcome(bool Created, IReadOnlyList<DesiredRobot> Granted, QuayRepository? Existing = null, bool FoundTheirs = false);

    private async Task EnsureAsync(NamespaceWork work, HashSet<string> wanted, CancellationToken ct)
    {
        var observation = work.Observation!;
        var entry = work.Entry!;
        var unread = await ReadNotedRobotsAsync(work, wanted, ct);
        var robots = work.Robots.Where(r => observation.Credentials.ContainsKey(r.FullName) && !unread.Contains(r.FullName)).ToList();
        if (robots.Count == 0) return;
        var plans = new List<Plan>();
        foreach (var repository in wanted.Order(StringComparer.Ordinal))
        {
            // Read from Quay in this reconcile: a role noted pending that the robot holds (its call landed, the record's
            // save did not) or no longer needs (the matrix went back) is settled here, where no grant runs.
            if (work.Verified && entry.RepositoryPermissions is not null)
                foreach (var robot in robots.Where(r => observation.RoleOf(r.FullName, repository) == r.Role))
                    entry.GivenPermissionGiven(robot.FullName, repository, robot.Role);
            var missing = robots.Where(r => observation.RoleOf(r.FullName, repository) != r.Role).ToList();
            // One the robots hold but the record does not name is looked at too: only its mark can tell whose it is.
            // A robot holding any role there (its own or someone else's) shows it exists.
            if (missing.Count > 0 || entry.Repository(repository) is null)
                plans.Add(new Plan(repository, robots, missing, Exists: robots.Any(r => observation.RoleOf(r.FullName, repository) is not null)));
        }
        if (plans.Count == 0) return;
        // A role given to a robot the operator did not create, or to its own robot on a repository that is not its own,
        // is the operator's doing all the same, and nothing in Quay says so: on record before it is given, with what the
        // robot held there before, to be given back later (GivenPermissions), when the ImageStream goes above all.
        var noted = await SettleFoundToMakeAsync(work, plans, ct);
        await JudgeExistingAsync(work, plans, ct);
        foreach (var plan in plans)
        foreach (var robot in plan.Missing)
        {
            // Someone's, its roles read: every role given there is the operator's doing, over what the robot holds.
            if (plan.HeldBefore is { } roles)
            {
                noted |= entry.NoteGivenPermission(robot.FullName, plan.Repository, robot.Role, roles.GetValueOrDefault(robot.FullName));
                continue;
            }
            var (ours, held) = Before(entry, observation, robot, plan.Repository, madeNow: !plan.Exists);
            // A repository to be made starts from nothing: what was noted for one of that name before is void. It is to be
            // the operator's (one found in its place is noted once read).
            if (!plan.Exists) noted |= NoteAnew(entry, robot, plan.Repository, ours && RoleIsNoted(entry, robot, onTheOperatorsRepository: true), held);
            else if (ours && RoleIsNoted(entry, robot, IsTheOperators(entry, plan.Repository)))
                noted |= entry.NoteGivenPermission(robot.FullName, plan.Repository, robot.Role, held);
        }
        if (noted) await records.SaveAsync(work.Record, hold: true, ct);

        var results = await Task.WhenAll(plans.Select(plan =>
            Isolation.RunAsync(work, $"repository {work.Organization}/{plan.Repository}", () => EnsureOneAsync(work, plan, ct))));
        foreach (var (plan, result) in plans.Zip(results))
        {
            if (result is not { Value: var outcome }) continue;
            // Someone's found in the create's place (made since Quay was last read): what was noted ahead for the
            // repository the operator meant to make is void, and no role was given. Recorded as someone's with this
            // sync, it is read again at once, so the roles to give there are written ahead over what the robots hold in
            // it, as on any repository of theirs: given now, and noted only after, a failure or a crash before the
            // record's save would leave one unnoted for good.
            if (outcome.FoundTheirs)
            {
                foreach (var robot in plan.Robots) entry.ForgetGivenPermission(robot.FullName, plan.Repository);
                work.ObservationOutdated = true;
            }
            // Made though thought to exist (it was gone), or the operator's own found though thought absent (a create
            // whose answer was lost): what the roles given were given over is told again from what happened (noted after
            // the fact: a crash before the record's save loses it).
            else if (outcome.Created == plan.Exists)
            {
                foreach (var robot in outcome.Granted.Where(r => RoleIsNoted(entry, r, onTheOperatorsRepository: outcome.Created)))
                {
                    var (ours, held) = Before(entry, observation, robot, plan.Repository, madeNow: outcome.Created);
                    NoteAnew(entry, robot, plan.Repository, ours, held);
                }
            }
            foreach (var robot in plan.Robots)
                if (plan.HeldBefore?.GetValueOrDefault(robot.FullName) is { } held) observation.Grant(robot.FullName, plan.Repository, held);
            foreach (var robot in outcome.Granted)
            {
                observation.Grant(robot.FullName, plan.Repository, robot.Role);
                entry.GivenPermissionGiven(robot.FullName, plan.Repository, robot.Role);
            }
            // Found in the create's place: judged as everywhere else. Where that leaves an inventory's word standing (an
            // organization taken over from the Go operator, its maker untold), a repository that had to be made again and
            // is unmarked is kept as someone's: it may well have been deleted and made again by someone meanwhile.
            if (outcome.Existing is { } read && Judge(work, entry, read) == Origin.Found) entry.SetRepository(plan.Repository, Origin.Found);
            if (outcome.Created) entry.SetRepository(plan.Repository, Origin.Created);
            if (outcome.Created) work.Changed("RepositoryCreated", $"Created private Quay repository {work.Organization}/{plan.Repository} for ImageStream {plan.Repository}");
            else if (outcome.Granted.Count > 0)
                work.Changed("RepositoryPermissionsRepaired",
                    $"Gave {string.Join(", ", outcome.Granted.Select(r => $"{r.FullName} {r.Role}"))} on Quay repository {work.Organization}/{plan.Repository}");
        }
    }

    /// <summary>
    /// Each repository that exists, is not known as someone's (the record does not name it, or names it as the
    /// operator's) and is to have roles given on it, judged by its mark before any is given, from one list of the
    /// organization (a call per hundred repositories; the steady state gives no role, so reads nothing). The record's
    /// word may be old: someone may have deleted the operator's and made theirs, and a role given to the operator's own
    /// robot there would go unnoted for good. Judged (and recorded, a lost mark told), someone's is read for the roles on
    /// it, and what each robot holds there is what the role given is noted over, written ahead like any other. Gone, it
    /// is made anew. A read Quay refuses leaves those repositories to the retry.
    /// </summary>
    private static async Task JudgeExistingAsync(NamespaceWork work, List<Plan> plans, CancellationToken ct)
    {
        var entry = work.Entry!;
        var org = work.Organization;
        var toJudge = plans.Where(p => p.Exists && entry.Repository(p.Repository) is not { Origin: Origin.Found }).ToList();
        if (toJudge.Count == 0) return;
        var listed = await Isolation.RunAsync(work, "the repositories of organization " + org, async () =>
            (await work.Quay.ListRepositoriesAsync(org, ct)).ValueOrThrow("list the repositories of " + org)!
                .DistinctBy(r => r.Name, StringComparer.Ordinal).ToDictionary(r => r.Name, StringComparer.Ordinal));
        foreach (var plan in toJudge)
        {
            var at = plans.IndexOf(plan);
            if (listed is null) plans.RemoveAt(at);
            else if (!listed.Value.TryGetValue(plan.Repository, out var existing)) plans[at] = plan with { Exists = false, Missing = plan.Robots };
            else if (Judge(work, entry, existing) == Origin.Found)
            {
                var held = await Isolation.RunAsync(work, $"repository {org}/{plan.Repository}", async () =>
                    (await work.Quay.ListRepositoryPermissionsAsync(org, plan.Repository, ct)).ValueOrThrow($"list the permissions on {org}/{plan.Repository}")!);
                if (held is null) plans.RemoveAt(at);
                else plans[at] = plan with { Missing = plan.Robots.Where(r => held.Value.GetValueOrDefault(r.FullName) != r.Role).ToList(), HeldBefore = held.Value };
            }
        }
    }

    /// <summary>
    /// Records an existing repository's origin as judged now: one the record does not name by its mark; one on record
    /// as everywhere else (<see cref="RepositoryOrigins.Record"/>: a lost mark told, an inventory's word kept).
    /// </summary>
    private static string Judge(NamespaceWork work, OrganizationRecord entry, QuayRepository repository)
    {
        if (entry.Repository(repository.Name) is not null) return RepositoryOrigins.Record(work, entry, repository);
        var origin = work.Markers.OriginOfRepository(repository, work.Name, repository.Name, entry);
        entry.SetRepository(repository.Name, origin);
        return origin;
    }

    /// <summary>
    /// Someone's repository (recorded Found) on which no robot holds a role is about to be made: Quay is asked whether it
    /// is there. Gone, the entry named the one that went, and goes before the create (true: the record is to be saved
    /// first), so what the operator makes is judged by its mark even if the create's answer is lost (a retry told
    /// "already exists") or a crash comes before the record's save: left Found, the operator's own repository counted
    /// as someone's for good, never deleted with its ImageStream. There, it stays someone's whatever its description
    /// says now (one whose mark was lost was told so, and is never deleted): only the roles are given. A read that
    /// fails leaves the repository to the next sync.
    /// </summary>
    private static async Task<bool> SettleFoundToMakeAsync(NamespaceWork work, List<Plan> plans, CancellationToken ct)
    {
        var entry = work.Entry!;
        var forgotten = false;
        for (var i = plans.Count - 1; i >= 0; i--)
        {
            var plan = plans[i];
            if (plan.Exists || entry.Repository(plan.Repository) is not { Origin: Origin.Found }) continue;
            var read = await Isolation.RunAsync(work, $"repository {work.Organization}/{plan.Repository}", async () =>
            {
                var found = await work.Quay.GetRepositoryAsync(work.Organization, plan.Repository, ct);
                return found.Outcome == QuayOutcome.NotFound || found.ValueOrThrow($"read repository {work.Organization}/{plan.Repository}") is null;
            });
            if (read is not { Value: var gone }) plans.RemoveAt(i);
            else if (gone) forgotten |= entry.ForgetRepositoryOrigin(plan.Repository);
            else plans[i] = plan with { Exists = true };
        }
        return forgotten;
    }

    private static bool IsOperators(OrganizationRecord entry, DesiredRobot robot) => entry.Robot(robot.FullName)?.Origin == Origin.Created;

    private static bool IsTheOperators(OrganizationRecord entry, string repository) => entry.Repository(repository) is { Origin: Origin.Created };

    /// <summary>
    /// Whether a role the operator gives the robot on a repository is noted, to be given back: always for a robot it
    /// did not create; for its own, unless the repository is its own too (deleted or kept with the repository, the role
    /// goes or stays with it). On someone's repository, or one not judged yet, the role would outlast the ImageStream it
    /// was given for, and the robot's Secret could still push there.
    /// </summary>
    private static bool RoleIsNoted(OrganizationRecord entry, DesiredRobot robot, bool onTheOperatorsRepository) =>
        !IsOperators(entry, robot) || !onTheOperatorsRepository;

    /// <summary>
    /// Whether the role about to be given to a robot whose roles are noted (<see cref="RoleIsNoted"/>) is the operator's
    /// doing, and what the robot holds on the repository before it. On a repository that exists: what it holds there. On one the operator
    /// makes now, Quay's default permissions give the first role: none held before when the operator's own default
    /// permission gives it; otherwise what someone else's gives, and then a role equal to it is not the operator's doing.
    /// </summary>
    private static (bool Ours, string? Held) Before(OrganizationRecord entry, QuayObservation observation, DesiredRobot robot, string repository, bool madeNow)
    {
        if (!madeNow) return (true, observation.RoleOf(robot.FullName, repository));
        if (entry.DefaultPermissionsOf(robot.FullName).Any()) return (true, null);
        var theirs = DefaultRole(observation, robot.FullName);
        return (theirs != robot.Role, theirs);
    }

    /// <summary>
    /// Notes the role given to a robot whose roles are noted as if nothing had been noted for it on that
    /// repository before (a repository made anew starts from nothing): the earlier note goes, and the role is noted
    /// only when it is the operator's (<paramref name="ours"/>). True when the record changed.
    /// </summary>
    private static bool NoteAnew(OrganizationRecord entry, DesiredRobot robot, string repository, bool ours, string? held)
    {
        var forgot = entry.ForgetGivenPermission(robot.FullName, repository);
        return (ours && entry.NoteGivenPermission(robot.FullName, repository, robot.Role, held)) || forgot;
    }

    /// <summary>
    /// The permissions of the robots whose roles are noted (<see cref="RoleIsNoted"/>) that lack a role on a repository they
    /// should hold, read again unless Quay was read in this reconcile: the observation may be a drift interval old, and
    /// a role someone gave such a robot since is theirs, never to be recorded as the operator's and taken back later
    /// (one someone took away is not to be given back either). The operator's own robots are read for someone's
    /// repositories, and for ones not judged yet that exist, not for the ones it is about to make (a repository found
    /// in the create's place is read for its roles then). Nothing is read in the steady state. Returns the robots whose
    /// permissions could not be read.
    /// </summary>
    private async Task<HashSet<string>> ReadNotedRobotsAsync(NamespaceWork work, HashSet<string> wanted, CancellationToken ct)
    {
        var unread = new HashSet<string>(StringComparer.Ordinal);
        if (work.Verified) return unread;
        var observation = work.Observation!;
        var entry = work.Entry!;
        // A repository the record does not name and no robot holds a role on is one to make, as far as the observation
        // tells: the operator's.
        bool ToNote(DesiredRobot robot, string repository) => RoleIsNoted(entry, robot, IsTheOperators(entry, repository)
            || (entry.Repository(repository) is null && !work.Robots.Any(r => observation.RoleOf(r.FullName, repository) is not null)));
        var stale = work.Robots.Where(r => observation.Credentials.ContainsKey(r.FullName)
                                           && wanted.Any(repository => observation.RoleOf(r.FullName, repository) != r.Role && ToNote(r, repository))).ToList();
        if (stale.Count == 0) return unread;
        var reads = await Task.WhenAll(stale.Select(r => work.Quay.ListRobotPermissionsAsync(work.Organization, QuayNames.RobotShortNameOf(r.FullName), ct)));
        foreach (var (robot, read) in stale.Zip(reads))
        {
            if (read.Outcome == QuayOutcome.NotFound)
            {
                // Deleted in Quay since it was last read, with its permissions: made again by the retry, from a fresh look.
                observation.RobotDeleted(robot.FullName);
                entry.RemoveRobot(robot.FullName);
                foreach (var permission in entry.DefaultPermissionsOf(robot.FullName).ToList()) entry.RemoveDefaultPermission(permission);
                observations.Forget(work.Name);
                work.Problem($"robot {robot.FullName} of service account {robot.ServiceAccount} was deleted in Quay meanwhile; it is made again", ProblemSide.Quay);
                continue;
            }
            // One Quay refuses to list is given no role in this reconcile (one noted from the older observation could be
            // someone's) and is left to the retry; the others go on. A 403 (the user no organization admin) is the sync's.
            if (read.Outcome == QuayOutcome.Forbidden) read.ValueOrThrow("list the repository permissions of " + robot.FullName);
            var listed = await Isolation.RunAsync(work, $"service account {robot.ServiceAccount}",
                () => Task.FromResult(read.ValueOrThrow("list the repository permissions of " + robot.FullName)!));
            if (listed is null)
            {
                unread.Add(robot.FullName);
                continue;
            }
            observation.PermissionsKnown(robot.FullName, replace: true);
            foreach (var (repository, role) in listed.Value) observation.Grant(robot.FullName, repository, role);
        }
        return unread;
    }

    private async Task<Outcome> EnsureOneAsync(NamespaceWork work, Plan plan, CancellationToken ct)
    {
        var (org, name) = (work.Organization, plan.Repository);
        var observation = work.Observation!;
        var missing = plan.Missing;
        var created = false;
        var granted = missing;
        QuayRepository? existing = null;
        var foundTheirs = false;
        if (!plan.Exists)
        {
            var result = await work.Quay.CreatePrivateRepositoryAsync(org, name, work.Markers.RepositoryDescription(work.Name, name), ct);
            if (result.Outcome == QuayOutcome.Forbidden)
            {
                // Quay refuses creates in an organization that is gone (deleted behind the operator's back): read it again.
                observations.Forget(work.Name);
                result.ValueOrThrow($"create repository {org}/{name}");
            }
            if (result.IsSuccess)
            {
                (created, granted) = (true, missing);
                // Quay applied the default permissions; only robots whose default permission differs still need a grant.
                missing = missing.Where(r => DefaultRole(observation, r.FullName) != r.Role).ToList();
            }
            else if (result.Outcome != QuayOutcome.AlreadyExists)
            {
                result.ValueOrThrow($"create repository {org}/{name}");
            }
            else
            {
                // There after all: the operator's create whose answer was lost and was retried, or someone's made since
                // Quay was last read (a Found one on record was settled before the create). Its mark tells; it is judged
                // and recorded once the creates are done (the record is not written from these parallel tasks). On the
                // operator's own, what its create gave is its doing, as on one it made now; on someone's, no role is given
                // in this sync (see FoundTheirs).
                existing = (await work.Quay.GetRepositoryAsync(org, name, ct)).ValueOrThrow($"read repository {org}/{name}")!;
                if (work.Markers.OriginOfRepository(existing, work.Name, name, work.Entry) == Origin.Found) (foundTheirs, missing) = (true, []);
            }
        }
        foreach (var robot in missing)
        {
            var given = await work.Quay.SetRepositoryPermissionAsync(org, name, robot.FullName, robot.Role, ct);
            // Refused from an older picture (Quay answers a 500 for a repository gone since it was last read, a 400 for a
            // robot gone): the retry starts from a fresh look rather than the same picture until the drift check. Not for
            // an answer that says nothing of the repository (rate limited, unreachable), nor when Quay was just read.
            if (!given.IsSuccess && !work.Verified && given.StatusCode != 429 && (given.StatusCode == 500 || given.RefusedOutright))
                observations.Forget(work.Name);
            given.ValueOrThrow($"give {robot.FullName} {robot.Role} on {org}/{name}");
        }
        return new Outcome(created, created ? granted : missing, existing, foundTheirs);
    }

    /// <summary>
    /// The role the default permissions surely give the robot on a new repository, or null when that cannot be told:
    /// Quay applies the first generic one its query returns for a delegate (in no set order) and lets one activated by
    /// the creating user replace it, so only a single generic role among all of the robot's is certain.
    /// </summary>
    private static string? DefaultRole(QuayObservation observation, string robot)
    {
        var roles = observation.Prototypes.Where(p => p.Delegate?.Name == robot).Select(p => p.ActivatingUser is null ? p.Role : null).Distinct().ToList();
        return roles.Count == 1 ? roles[0] : null;
    }

    /// <summary>
    /// Repositories whose ImageStream is gone. Created by the operator: deleted with repositoryDeletionPolicy Delete,
    /// kept (and listed as kept) with Keep. Found: left alone, and remembered as not the operator's. With Delete, each
    /// candidate (recorded Created, or unknown to the record but held by the robots) is read first and deleted only if
    /// its mark makes it the operator's.
    /// </summary>
    private static async Task RemoveUnwantedAsync(NamespaceWork work, HashSet<string> wanted, CancellationToken ct)
    {
        var entry = work.Entry!;
        var observation = work.Observation!;
        var ours = (entry.Repositories ?? []).Where(r => r.Origin == Origin.Created && !wanted.Contains(r.Name)).Select(r => r.Name).ToList();
        // On a repository that is not the operator's, the roles it gave robots (its own among them) were for the ImageStream.
        bool OnOthersUnwanted(RepositoryPermissionRecord p) => !wanted.Contains(p.Repository) && entry.Repository(p.Repository)?.Origin != Origin.Created;
        foreach (var robot in (entry.RepositoryPermissions ?? []).Where(OnOthersUnwanted).Select(p => p.Robot).Distinct(StringComparer.Ordinal).ToList())
            await Isolation.RunAsync(work, "robot " + robot, () => GivenPermissions.GiveBackAsync(work, work.Quay, entry, robot,
                "its ImageStream is gone", observation, ct, OnOthersUnwanted));
        if (!work.Config!.DeleteRepositories)
        {
            foreach (var name in ours) work.Kept.Add($"repository {work.Organization}/{name} (repositoryDeletionPolicy Keep)");
            return;
        }
        // Every candidate is read before it is deleted, recorded or not: a repository the operator deleted just before a
        // crash (the record not yet saved) may have been made again by someone else since, under the same name.
        var candidates = observation.RepositoriesOf(work.Robots.Select(r => r.FullName))
            .Where(name => !wanted.Contains(name) && entry.Repository(name) is null).Concat(ours).Distinct(StringComparer.Ordinal).ToList();
        ours.Clear();
        foreach (var name in candidates)
        {
            // A read Quay refuses for one repository leaves that one to the retry, not the others nor the steps after; one
            // refused for want of a scope (a 403 while the organization stands) would be refused for every one: the sync's.
            var found = await work.Quay.GetRepositoryAsync(work.Organization, name, ct);
            if (found.Outcome == QuayOutcome.Forbidden) found.ValueOrThrow($"read repository {work.Organization}/{name}");
            var read = await Isolation.RunAsync(work, $"repository {work.Organization}/{name}", () =>
                Task.FromResult(found.Outcome == QuayOutcome.NotFound ? null : found.ValueOrThrow($"read repository {work.Organization}/{name}")));
            if (read is null) continue;
            if (read.Value is not { } repository)
            {
                observation.RepositoryDeleted(name);
                entry.RemoveRepository(name);
                continue;
            }
            // Judged and recorded as everywhere else (RepositoryOrigins): in an organization taken over from the Go operator an
            // unmarked repository is the operator's, so it follows the policy here and does not hold the organization back later.
            if (RepositoryOrigins.Record(work, entry, repository) == Origin.Created) ours.Add(name);
        }
        foreach (var name in ours)
        {
            var deleted = await Isolation.RunAsync(work, $"repository {work.Organization}/{name}", async () =>
                (await work.Quay.DeleteRepositoryAsync(work.Organization, name, ct)).ValueOrThrow($"delete repository {work.Organization}/{name}"));
            if (deleted is null) continue;
            observation.RepositoryDeleted(name);
            entry.RemoveRepository(name);
            work.Changed("RepositoryDeleted", $"Deleted Quay repository {work.Organization}/{name} with its ImageStream (repositoryDeletionPolicy Delete)");
        }
    }
}
