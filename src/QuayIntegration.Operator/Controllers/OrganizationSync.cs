using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Brings an existing organization's robots and default permissions in line with the service account matrix, with
/// as few Quay calls as the state allows: an organization created moments ago is known to be empty, so its robots and
/// prototypes are created without reading anything first; an organization verified again costs two reads (the robot
/// list, which carries every robot's token and repositories, and the prototype list) and writes only what differs.
/// The service accounts are handled in parallel, so a namespace takes a few round trips, not a dozen.
/// </summary>
public sealed class OrganizationSync
{
    public sealed record RobotCredential(string Name, string Token);

    /// <param name="Robots">The robot of each service account of the matrix, by service account name.</param>
    /// <param name="CoveredRepositories">Repositories on which every one of those robots holds an explicit permission.</param>
    /// <param name="Changes">What had to be created or repaired in Quay, for the namespace's Events.</param>
    public sealed record Outcome(IReadOnlyDictionary<string, RobotCredential> Robots, IReadOnlySet<string> CoveredRepositories,
        IReadOnlyList<SyncChange> Changes);

    public async Task<Outcome> EnsureAsync(V1Namespace ns, string org, IntegrationConfig config, QuayClient quay, bool createdJustNow,
        CancellationToken ct)
    {
        IReadOnlyDictionary<string, QuayRobot> robots = new Dictionary<string, QuayRobot>();
        IReadOnlyList<QuayPrototype> prototypes = [];
        if (!createdJustNow)
        {
            var robotList = quay.ListRobotsAsync(org, ct);
            var prototypeList = quay.ListPrototypesAsync(org, ct);
            robots = ((await robotList).ValueOrThrow("list robots of " + org) ?? []).ToDictionary(r => r.Name);
            prototypes = (await prototypeList).ValueOrThrow("list default permissions of " + org) ?? [];
        }

        var ensured = await Task.WhenAll(config.ServiceAccounts.Select(sa => EnsureServiceAccountAsync(ns, org, sa, robots, prototypes, quay, ct)));
        var credentials = ensured.ToDictionary(e => e.ServiceAccount, e => e.Credential);
        var changes = ensured.Where(e => e.Change is not null).Select(e => e.Change!).ToList();

        // A robot created now has no permissions yet, so it covers nothing; a repository counts only when all do. The
        // robot list names repositories without roles: after a role change no repository is trusted to hold the new one.
        IEnumerable<string>? covered = ensured.Any(e => e.RoleChanged) ? [] : null;
        foreach (var credential in credentials.Values)
        {
            var repositories = robots.TryGetValue(credential.Name, out var listed) ? listed.Repositories ?? [] : [];
            covered = covered is null ? repositories : covered.Intersect(repositories, StringComparer.Ordinal);
        }
        return new Outcome(credentials, (covered ?? []).ToHashSet(StringComparer.Ordinal), changes);
    }

    private enum DefaultPermission { Unchanged, Created, RoleChanged }

    private static async Task<(string ServiceAccount, RobotCredential Credential, SyncChange? Change, bool RoleChanged)> EnsureServiceAccountAsync(V1Namespace ns, string org,
        ServiceAccountRole sa, IReadOnlyDictionary<string, QuayRobot> robots, IReadOnlyList<QuayPrototype> prototypes, QuayClient quay,
        CancellationToken ct)
    {
        var shortName = QuayNames.RobotShortNameFor(org, sa.Name);
        var fullName = QuayNames.RobotFullName(org, shortName);
        var robotCreated = false;
        string? token;
        if (robots.TryGetValue(fullName, out var listed) && !string.IsNullOrEmpty(listed.Token))
        {
            token = listed.Token;
        }
        else
        {
            // Listed without a token means the token cannot see it; the single-robot read then says precisely why.
            var (robot, created) = listed is null
                ? await quay.CreateOrGetRobotAsync(org, shortName, $"Service account {ns.Metadata.Name}/{sa.Name} (QuayIntegration)", ct)
                : (await quay.GetRobotAsync(org, shortName, ct), false);
            robotCreated = created;
            token = robot.ValueOrThrow("get robot " + fullName)?.Token;
            if (string.IsNullOrEmpty(token))
                throw new QuayOperationException("get robot " + fullName, QuayOutcome.Unexpected, robot.StatusCode, "the answer carried no token");
        }

        var permission = await EnsureDefaultPermissionAsync(org, fullName, sa.Role, prototypes, quay, ct);
        SyncChange? change = (robotCreated, permission) switch
        {
            (true, _) => new("RobotCreated", $"Created Quay robot {fullName} for service account {sa.Name}, with the default permission {sa.Role}"),
            (_, DefaultPermission.Created) => new("DefaultPermissionCreated", $"Gave robot {fullName} the default permission {sa.Role}"),
            (_, DefaultPermission.RoleChanged) => new("DefaultPermissionUpdated", $"Changed the default permission of robot {fullName} to {sa.Role}"),
            _ => null,
        };
        return (sa.Name, new RobotCredential(fullName, token), change, permission == DefaultPermission.RoleChanged);
    }

    private static async Task<DefaultPermission> EnsureDefaultPermissionAsync(string org, string robotName, string role, IReadOnlyList<QuayPrototype> prototypes,
        QuayClient quay, CancellationToken ct)
    {
        var matching = prototypes.Where(p => p.ActivatingUser is null && p.Delegate?.Name == robotName).ToList();
        if (matching.Count == 0)
        {
            (await quay.CreatePrototypeAsync(org, robotName, role, ct)).ValueOrThrow($"create default permission for {robotName}");
            return DefaultPermission.Created;
        }
        var roleChanged = matching[0].Role != role;
        if (roleChanged)
            (await quay.UpdatePrototypeAsync(org, matching[0].Id, role, ct)).ValueOrThrow($"update default permission for {robotName}");
        // Quay never de-duplicates prototypes; an interrupted earlier run may have left extras.
        foreach (var extra in matching.Skip(1))
            (await quay.DeletePrototypeAsync(org, extra.Id, ct)).ValueOrThrow($"delete duplicate default permission for {robotName}");
        return roleChanged ? DefaultPermission.RoleChanged : DefaultPermission.Unchanged;
    }
}
