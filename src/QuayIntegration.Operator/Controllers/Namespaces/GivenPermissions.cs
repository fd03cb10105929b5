using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Gives back the repository roles the operator gave a robot it did not create, or its own robot on a repository that is
/// not the operator's (<see cref="RepositoryPermissionRecord"/>), when the robot's service account leaves the matrix, the
/// repository's ImageStream goes (<paramref name="only"/> those on it), or the operator lets go of the organization: a role the robot
/// did not hold before is deleted, one that replaced an earlier role is set back to it. The robot's permissions are
/// read first (one call for all its repositories): a role someone changed since is theirs and stays, told in an Event;
/// one gone already (taken away, or its repository deleted) is only forgotten. A robot gone from Quay took its
/// permissions with it. Returns how many of the robot's recorded roles were settled (given back or forgotten).
/// </summary>
public static class GivenPermissions
{
    public static async Task<int> GiveBackAsync(NamespaceWork work, QuayClient quay, OrganizationRecord entry, string robot, string why,
        QuayObservation? observation, CancellationToken ct, Func<RepositoryPermissionRecord, bool>? only = null)
    {
        var given = entry.PermissionsGivenTo(robot).Where(only ?? (_ => true)).ToList();
        if (given.Count == 0) return 0;
        var org = entry.Name;
        // Someone may have deleted the robot and made one again under its name since the record was last compared with
        // Quay (between two drift checks nothing lists the robots): Quay took what the operator gave the old one with
        // it, and a role given the new one is its maker's. Read first, then, when the record knows when the robot was
        // made. A found one stays its owner's; one of the operator's is judged by its mark when Quay is read again, at once
        // (RemadeRobots).
        if (entry.Robot(robot) is { Created: { Length: > 0 } made } recorded)
        {
            var now = await quay.GetRobotAsync(org, QuayNames.RobotShortNameOf(robot), ct);
            if (now.Outcome != QuayOutcome.NotFound && now.ValueOrThrow("read robot " + robot)!.Created is { Length: > 0 } remade && remade != made)
            {
                if (recorded.Origin == Origin.Found) entry.FoundRobotMadeAgain(recorded, remade);
                else entry.ForgetGivenPermissionsOf(robot);
                work.ObservationOutdated = true;
                return given.Count;
            }
        }
        var read = await quay.ListRobotPermissionsAsync(org, QuayNames.RobotShortNameOf(robot), ct);
        if (read.Outcome == QuayOutcome.NotFound)
        {
            foreach (var grant in given) entry.RemoveGivenPermission(grant);
            return given.Count;
        }
        var held = read.ValueOrThrow("list the repository permissions of " + robot)!;
        foreach (var grant in given)
        {
            var repository = grant.Repository;
            if (!held.TryGetValue(repository, out var now))
            {
                entry.RemoveGivenPermission(grant);
                continue;
            }
            // The role given, or one being given in its place (a matrix change whose call may or may not have landed).
            if (now != grant.Role && now != grant.Pending)
            {
                entry.RemoveGivenPermission(grant);
                // Holding what it held before, the robot never got the role (its call failed, or never landed).
                if (now != grant.Previous)
                    work.Changed("RepositoryPermissionLeftAlone",
                        $"Left robot {robot} its {now} on Quay repository {org}/{repository}: someone changed the {grant.Role} the operator had given it");
                continue;
            }
            if (grant.Previous is null)
            {
                (await quay.DeleteRepositoryPermissionAsync(org, repository, robot, ct)).ValueOrThrow($"take {now} on {org}/{repository} back from {robot}");
                observation?.Revoke(robot, repository);
                work.Changed("RepositoryPermissionDeleted", $"Took back the {now} the operator gave robot {robot} on Quay repository {org}/{repository}: {why}");
            }
            else if (grant.Previous != now)
            {
                var restored = await quay.SetRepositoryPermissionAsync(org, repository, robot, grant.Previous, ct);
                // The repository deleted since it was read: the role went with it, nothing to give back.
                if (restored.Outcome != QuayOutcome.NotFound)
                {
                    restored.ValueOrThrow($"give {robot} {grant.Previous} on {org}/{repository} back");
                    observation?.Grant(robot, repository, grant.Previous);
                    work.Changed("RepositoryPermissionRestored",
                        $"Gave robot {robot} back its {grant.Previous} on Quay repository {org}/{repository}, in place of the {now} the operator had given it: {why}");
                }
            }
            entry.RemoveGivenPermission(grant);
        }
        return given.Count;
    }
}
