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
/// roles explicitly. A repository on which some robot already holds a permission exists, so only the missing roles
/// are written; if the record does not name it (its create's record write was lost: a crash in between, a conflict
/// met twice), it is read once and recorded by its mark. Each repository is handled on its own (<see cref="Isolation"/>).
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
        await RemoveUnwantedAsync(work, wanted, ct);
    }

    private sealed record Plan(string Repository, IReadOnlyList<DesiredRobot> Robots, IReadOnlyList<DesiredRobot> Missing, bool Exists);

    private sealed record Outcome(bool Created, string? Origin, IReadOnlyList<DesiredRobot> Granted);

    private async Task EnsureAsync(NamespaceWork work, HashSet<string> wanted, CancellationToken ct)
    {
        var observation = work.Observation!;
        var robots = work.Robots.Where(r => observation.Credentials.ContainsKey(r.FullName)).ToList();
        if (robots.Count == 0) return;
        var plans = new List<Plan>();
        foreach (var repository in wanted.Order(StringComparer.Ordinal))
        {
            var missing = robots.Where(r => observation.RoleOf(r.FullName, repository) != r.Role).ToList();
            // One the robots hold but the record does not name is looked at too: only its mark can tell whose it is.
            if (missing.Count > 0 || work.Entry!.Repository(repository) is null)
                plans.Add(new Plan(repository, robots, missing, Exists: missing.Count < robots.Count));
        }
        if (plans.Count == 0) return;
        // A role given to a robot the operator did not create is the operator's doing all the same, and nothing in Quay
        // says so: on record before it is given, with what the robot held there before, to be given back later
        // (GivenPermissions). On a repository made now the default permissions give it: noted ahead too.
        var entry = work.Entry!;
        var noted = false;
        foreach (var plan in plans)
        foreach (var robot in plan.Missing.Where(r => entry.Robot(r.FullName)?.Origin != Origin.Created))
            noted |= entry.NoteGivenPermission(robot.FullName, plan.Repository, robot.Role, observation.RoleOf(robot.FullName, plan.Repository));
        if (noted) await records.SaveAsync(work.Record, hold: true, ct);

        var results = await Task.WhenAll(plans.Select(plan =>
            Isolation.RunAsync(work, $"repository {work.Organization}/{plan.Repository}", () => EnsureOneAsync(work, plan, ct))));
        foreach (var (plan, result) in plans.Zip(results))
        {
            if (result is not { Value: var outcome }) continue;
            foreach (var robot in outcome.Granted)
            {
                observation.Grant(robot.FullName, plan.Repository, robot.Role);
                // A repository found gone and made again: the robots that held a role on the one before got theirs anew.
                if (outcome.Created && entry.Robot(robot.FullName)?.Origin != Origin.Created) entry.NoteGivenPermission(robot.FullName, plan.Repository, robot.Role, null);
            }
            if (outcome.Origin is { } origin) work.Entry!.SetRepository(plan.Repository, origin);
            if (outcome.Created) work.Changed("RepositoryCreated", $"Created private Quay repository {work.Organization}/{plan.Repository} for ImageStream {plan.Repository}");
            else if (outcome.Granted.Count > 0)
                work.Changed("RepositoryPermissionsRepaired",
                    $"Gave {string.Join(", ", outcome.Granted.Select(r => $"{r.FullName} {r.Role}"))} on Quay repository {work.Organization}/{plan.Repository}");
        }
    }

    private async Task<Outcome> EnsureOneAsync(NamespaceWork work, Plan plan, CancellationToken ct)
    {
        var (org, name) = (work.Organization, plan.Repository);
        var observation = work.Observation!;
        var missing = plan.Missing;
        string? origin = null;
        var created = false;
        var granted = missing;
        var exists = plan.Exists;
        if (exists && work.Entry!.Repository(name) is null)
        {
            var read = await work.Quay.GetRepositoryAsync(org, name, ct);
            if (read.Outcome == QuayOutcome.NotFound)
            {
                // Gone since Quay was last read: made anew below, every robot's role with it.
                (exists, missing) = (false, plan.Robots);
            }
            else
            {
                origin = work.Markers.OriginOfRepository(read.ValueOrThrow($"read repository {org}/{name}")!, work.Name, name, work.Entry);
            }
        }
        if (!exists)
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
                (created, origin, granted) = (true, Origin.Created, missing);
                // Quay applied the default permissions; only robots whose default permission differs still need a grant.
                missing = missing.Where(r => DefaultRole(observation, r.FullName) != r.Role).ToList();
            }
            else if (result.Outcome != QuayOutcome.AlreadyExists)
            {
                result.ValueOrThrow($"create repository {org}/{name}");
            }
            else if (work.Entry!.Repository(name) is null)
            {
                var existing = (await work.Quay.GetRepositoryAsync(org, name, ct)).ValueOrThrow($"read repository {org}/{name}")!;
                origin = work.Markers.OriginOfRepository(existing, work.Name, name, work.Entry);
            }
        }
        foreach (var robot in missing)
            (await work.Quay.SetRepositoryPermissionAsync(org, name, robot.FullName, robot.Role, ct)).ValueOrThrow($"give {robot.FullName} {robot.Role} on {org}/{name}");
        return new Outcome(created, origin, created ? granted : missing);
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
            var read = await work.Quay.GetRepositoryAsync(work.Organization, name, ct);
            if (read.Outcome == QuayOutcome.NotFound)
            {
                observation.RepositoryDeleted(name);
                entry.RemoveRepository(name);
                continue;
            }
            var repository = read.ValueOrThrow($"read repository {work.Organization}/{name}")!;
            // Judged as everywhere else (OriginOfRepository): in an organization taken over from the Go operator an
            // unmarked repository is the operator's, so it follows the policy here and does not hold the organization back later.
            if (work.Markers.OriginOfRepository(repository, work.Name, name, entry) == Origin.Created) ours.Add(name);
            else entry.SetRepository(name, Origin.Found);
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
