using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// A working copy of one namespace's ownership record (the spec of its QuayNamespace). The steps of a reconcile note
/// here what they created, found and removed; <see cref="OwnershipRecords"/> writes it back when it differs from what
/// is stored, ahead of a create whose outcome cannot be recognised later (organizations, see
/// <see cref="Origin.Creating"/>), and at the end of every reconcile, failed or not.
/// </summary>
public sealed class OwnershipDraft
{
    private string _savedJson;

    public OwnershipDraft(string ns, QuayNamespaceResource? stored)
    {
        Namespace = ns;
        Stored = stored;
        _savedJson = KubernetesSerializerOptions.Serialize(stored?.Spec ?? new OwnershipRecord());
        Spec = KubernetesSerializerOptions.Deserialize<OwnershipRecord>(_savedJson);
    }

    public string Namespace { get; }

    /// <summary>The QuayNamespace as last read or written; null while none exists.</summary>
    public QuayNamespaceResource? Stored { get; private set; }

    public OwnershipRecord Spec { get; }

    public bool HasUnsavedChanges => KubernetesSerializerOptions.Serialize(Spec) != _savedJson;

    /// <summary>Nothing is recorded: no organization and no Secret.</summary>
    public bool IsEmpty => (Spec.Organizations?.Count ?? 0) == 0 && (Spec.Secrets?.Count ?? 0) == 0;

    public bool Released => Spec.Released == true;

    /// <summary>
    /// Called by <see cref="OwnershipRecords"/> once the record is deleted (it held nothing): there is nothing left to
    /// save, so a failure later in the same reconcile does not try to write it back.
    /// </summary>
    internal void Deleted()
    {
        Stored = null;
        _savedJson = KubernetesSerializerOptions.Serialize(Spec);
    }

    /// <summary>Called by <see cref="OwnershipRecords"/> after a successful write.</summary>
    internal void Saved(QuayNamespaceResource stored)
    {
        Stored = stored;
        _savedJson = KubernetesSerializerOptions.Serialize(Spec);
    }

    /// <summary>
    /// Called by <see cref="OwnershipRecords"/> after a write of the status alone. What the steps noted since the last
    /// save stays unsaved (a status written mid-reconcile, after a rotation, must not pass a robot just created for
    /// recorded). The record's new version is taken only when its spec is still the one the draft started from (the
    /// same generation): a status patch carries no resourceVersion, so adopting the version of a spec someone else
    /// changed meanwhile would let the draft's next write replace that change instead of meeting a conflict.
    /// </summary>
    internal void StatusSaved(QuayNamespaceResource written)
    {
        if (Stored is null || written.Metadata.Generation == Stored.Metadata.Generation) Stored = written;
    }

    public IReadOnlyList<OrganizationRecord> Organizations => Spec.Organizations ?? [];

    public OrganizationRecord? Organization(string host, string name) =>
        Spec.Organizations?.FirstOrDefault(o => o.Host == host && o.Name == name);

    public OrganizationRecord SetOrganization(string host, string name, string origin)
    {
        var entry = Organization(host, name);
        if (entry is null)
        {
            entry = new OrganizationRecord { Host = host, Name = name };
            (Spec.Organizations ??= []).Add(entry);
        }
        entry.Origin = origin;
        return entry;
    }

    public void RemoveOrganization(OrganizationRecord entry)
    {
        Spec.Organizations?.Remove(entry);
        if (Spec.Organizations is { Count: 0 }) Spec.Organizations = null;
        (_removedOrganizations ??= []).Add(entry);
    }

    private List<OrganizationRecord>? _removedOrganizations;

    /// <summary>
    /// The organizations the record names, and those it named earlier in this reconcile: a release deletes them
    /// before it deletes the Secrets holding their robots' logins.
    /// </summary>
    private IEnumerable<OrganizationRecord> NamedOrganizations => (Spec.Organizations ?? []).Concat(_removedOrganizations ?? []);

    /// <summary>
    /// Whether robot <paramref name="fullName"/> (<c>org+name</c>) is one the operator made, as far as the record (or what
    /// this reconcile took off it) tells: recorded Created (or so recorded until it was deleted, in this reconcile),
    /// or not recorded in an organization the operator created (a
    /// robot it deleted a moment ago, or one the Go operator made, not yet inventoried). One recorded Found, or unknown
    /// in a found organization, is someone's: so may be a Secret holding its login.
    /// </summary>
    public bool MadeRobot(string fullName)
    {
        if (fullName.IndexOf('+') is not (> 0 and var plus)) return false;
        var entries = NamedOrganizations.Where(o => o.Name == fullName[..plus]).ToList();
        if (entries.Any(o => o.Robot(fullName) is { Origin: Origin.Found })) return false;
        return entries.Any(o => o.Robot(fullName) is { Origin: Origin.Created } || o.RemovedCreatedRobots?.Contains(fullName) == true
                                || o.Robot(fullName) is null && o.IsOwned());
    }

    public IReadOnlyList<SecretRecord> Secrets => Spec.Secrets ?? [];

    public void SetSecret(string name, string serviceAccount, string? integration)
    {
        var entry = Spec.Secrets?.FirstOrDefault(s => s.Name == name);
        if (entry is null) (Spec.Secrets ??= []).Add(new SecretRecord { Name = name, ServiceAccount = serviceAccount, Integration = integration });
        else (entry.ServiceAccount, entry.Integration) = (serviceAccount, integration);
    }

    public void RemoveSecret(string name)
    {
        Spec.Secrets?.RemoveAll(s => s.Name == name);
        if (Spec.Secrets is { Count: 0 }) Spec.Secrets = null;
    }
}

/// <summary>Reading and noting the content of one organization's entry.</summary>
public static class OrganizationRecordExtensions
{
    public static bool IsOwned(this OrganizationRecord org) => org.Origin is Origin.Created or Origin.Creating;

    public static RobotRecord? Robot(this OrganizationRecord org, string name) => org.Robots?.FirstOrDefault(r => r.Name == name);

    /// <param name="created">
    /// When Quay made the robot (null: unknown, or unchanged). Kept for a found robot too: the notes of what the
    /// operator gave it hold only for that robot, not for one its owner makes again under the name.
    /// </param>
    public static void SetRobot(this OrganizationRecord org, string name, string serviceAccount, string origin, string? created = null)
    {
        var entry = org.Robot(name);
        if (entry is null)
        {
            // A robot the operator made (again, after someone's of that name was deleted) holds nothing given before. A
            // found one first recorded keeps the notes a record may hold for it unnamed (GiveBackForUnrecordedRobots).
            if (origin == Origin.Created) org.ForgetGivenPermissionsOf(name);
            (org.Robots ??= []).Add(entry = new RobotRecord { Name = name, ServiceAccount = serviceAccount, Origin = origin });
        }
        else
        {
            var was = entry.Origin;
            var (remade, sameRobot) = (MadeAtAnotherTime(entry, created), entry.Created is { } before && created == before);
            // Another origin without a time: the time on record was the other robot's.
            if (was != origin && string.IsNullOrEmpty(created)) entry.Created = null;
            // Another origin: another robot under the name (the operator made it after someone's went, or someone made
            // theirs after the operator's went), or the same one judged anew. The default permissions written for the
            // robot before went with it, or are its maker's own now (the operator's robot's go with it): an entry left,
            // one written ahead above all, would claim the next one someone gives the robot as the operator's.
            if (was != origin)
                foreach (var permission in org.DefaultPermissionsOf(name).ToList()) org.RemoveDefaultPermission(permission);
            (entry.ServiceAccount, entry.Origin) = (serviceAccount, origin);
            // Found before and found now, but made at another time: its owner made it again.
            if (was == Origin.Found && origin == Origin.Found && remade) org.FoundRobotMadeAgain(entry, created!);
            // Another robot under the name (made at another time, or of another origin with no time to tell it by): Quay
            // took the roles given the one before with it, and a note left would take back a role the new one's maker
            // gives it. The same robot judged the operator's now holds its roles on the operator's repositories with them.
            else if (remade || (was != origin && !sameRobot)) org.ForgetGivenPermissionsOf(name);
            else if (was != origin) org.ForgetGivenPermissionsWhere(p => p.Robot == name && org.IsOwnRobotOnOwnRepository(p));
        }
        if (!string.IsNullOrEmpty(created)) entry.Created = created;
    }

    private static bool MadeAtAnotherTime(RobotRecord entry, string? created) =>
        entry.Created is { } was && !string.IsNullOrEmpty(created) && created != was;

    /// <summary>
    /// A found robot its owner deleted and made again: Quay took what the operator gave the old one (repository roles,
    /// default permissions) away with it, so their notes, and any default permission written ahead for it, are forgotten;
    /// what the owner gives the new robot is theirs and is never taken back.
    /// </summary>
    public static void FoundRobotMadeAgain(this OrganizationRecord org, RobotRecord robot, string created)
    {
        org.ForgetGivenPermissionsOf(robot.Name);
        foreach (var permission in org.DefaultPermissionsOf(robot.Name).ToList()) org.RemoveDefaultPermission(permission);
        robot.Created = created;
    }

    /// <summary>The robot is gone from Quay (or deleted by the operator), and the permissions it held with it.</summary>
    public static void RemoveRobot(this OrganizationRecord org, string name)
    {
        if (org.Robot(name) is { Origin: Origin.Created }) (org.RemovedCreatedRobots ??= []).Add(name);
        org.Robots?.RemoveAll(r => r.Name == name);
        if (org.Robots is { Count: 0 }) org.Robots = null;
        org.ForgetGivenPermissionsOf(name);
    }

    public static RepositoryRecord? Repository(this OrganizationRecord org, string name) => org.Repositories?.FirstOrDefault(r => r.Name == name);

    /// <summary>
    /// Records whose the repository is. The operator's own: the roles noted on it for the robots the operator created
    /// go, as those robots hold them with the repository (deleted with it, or kept with it under Keep), nothing to give back.
    /// </summary>
    public static void SetRepository(this OrganizationRecord org, string name, string origin)
    {
        var entry = org.Repository(name);
        if (entry is null) (org.Repositories ??= []).Add(new RepositoryRecord { Name = name, Origin = origin });
        else entry.Origin = origin;
        org.ForgetGivenPermissionsWhere(p => p.Repository == name && org.IsOwnRobotOnOwnRepository(p));
    }

    /// <summary>
    /// Forgets whose the repository is, and nothing else (the roles noted on it stand): the next look judges it by its
    /// mark. True when there was an entry.
    /// </summary>
    public static bool ForgetRepositoryOrigin(this OrganizationRecord org, string name)
    {
        if (org.Repositories?.RemoveAll(r => r.Name == name) is not > 0) return false;
        if (org.Repositories is { Count: 0 }) org.Repositories = null;
        return true;
    }

    /// <summary>The repository is gone from Quay (or deleted by the operator), and the permissions on it with it.</summary>
    public static void RemoveRepository(this OrganizationRecord org, string name)
    {
        org.Repositories?.RemoveAll(r => r.Name == name);
        if (org.Repositories is { Count: 0 }) org.Repositories = null;
        org.ForgetGivenPermissionsWhere(p => p.Repository == name);
    }

    public static IEnumerable<RepositoryPermissionRecord> PermissionsGivenTo(this OrganizationRecord org, string robot) =>
        org.RepositoryPermissions?.Where(p => p.Robot == robot) ?? [];

    /// <summary>
    /// Notes, ahead of the call, that the operator gives <paramref name="robot"/> <paramref name="role"/> on
    /// <paramref name="repository"/>, where it holds <paramref name="held"/> now. Over a grant on record whose role the
    /// robot still holds (the matrix changed its role), the new role is pending and the role held before that grant is
    /// kept, since the one held since is the operator's. Otherwise what the robot holds now is what it held before
    /// (someone changed or took away the operator's role). True when the record changed.
    /// </summary>
    public static bool NoteGivenPermission(this OrganizationRecord org, string robot, string repository, string role, string? held)
    {
        if (org.GivenPermission(robot, repository) is { } given)
        {
            var (before, pending) = (held == given.Role || held == given.Pending) && held is not null
                ? (given.Previous, role == held ? null : role)
                : (held, null);
            var current = pending is null ? role : held!;
            if (given.Role == current && given.Previous == before && given.Pending == pending) return false;
            (given.Role, given.Previous, given.Pending) = (current, before, pending);
            return true;
        }
        (org.RepositoryPermissions ??= []).Add(new RepositoryPermissionRecord { Robot = robot, Repository = repository, Role = role, Previous = held });
        return true;
    }

    /// <summary>
    /// The robot holds <paramref name="role"/>, the one the operator gives it: a pending role it holds is the role from
    /// now on, and one pending over the role it still holds is void (the matrix went back). Left pending, either would
    /// later take a role someone gives the robot for the operator's.
    /// </summary>
    public static void GivenPermissionGiven(this OrganizationRecord org, string robot, string repository, string role)
    {
        if (org.GivenPermission(robot, repository) is { Pending: { } pending } given
            && (pending == role || given.Role == role))
            (given.Role, given.Pending) = (role, null);
    }

    /// <summary>The robot the notes were for is gone from Quay, or another one holds its name: nothing of theirs is to be given back.</summary>
    public static void ForgetGivenPermissionsOf(this OrganizationRecord org, string robot) => org.ForgetGivenPermissionsWhere(p => p.Robot == robot);

    /// <summary>
    /// A role of the operator's own robot on the operator's own repository: it goes or stays with the repository (deleted
    /// with it, or kept with it under Keep), so there is nothing to give back and no note to keep (its roles on someone's
    /// repositories are noted).
    /// </summary>
    private static bool IsOwnRobotOnOwnRepository(this OrganizationRecord org, RepositoryPermissionRecord p) =>
        org.Robot(p.Robot) is { Origin: Origin.Created } && org.Repository(p.Repository) is { Origin: Origin.Created };

    /// <summary>True when there was a note to forget.</summary>
    public static bool ForgetGivenPermission(this OrganizationRecord org, string robot, string repository) =>
        org.ForgetGivenPermissionsWhere(p => p.Robot == robot && p.Repository == repository);

    public static void RemoveGivenPermission(this OrganizationRecord org, RepositoryPermissionRecord entry) => org.ForgetGivenPermissionsWhere(p => p == entry);

    private static RepositoryPermissionRecord? GivenPermission(this OrganizationRecord org, string robot, string repository) =>
        org.RepositoryPermissions?.FirstOrDefault(p => p.Robot == robot && p.Repository == repository);

    /// <summary>
    /// Drops the notes that match; an empty list goes, so the record does not carry an empty field. True when any went.
    /// </summary>
    private static bool ForgetGivenPermissionsWhere(this OrganizationRecord org, Predicate<RepositoryPermissionRecord> match)
    {
        var forgotten = org.RepositoryPermissions?.RemoveAll(match) > 0;
        if (org.RepositoryPermissions is { Count: 0 }) org.RepositoryPermissions = null;
        return forgotten;
    }

    public static IEnumerable<DefaultPermissionRecord> DefaultPermissionsOf(this OrganizationRecord org, string robot) =>
        org.DefaultPermissions?.Where(p => p.Robot == robot) ?? [];

    public static DefaultPermissionRecord AddDefaultPermission(this OrganizationRecord org, string robot, string? id, DateTime? pendingSince = null)
    {
        var entry = new DefaultPermissionRecord { Robot = robot, Id = id, PendingSince = id is null ? pendingSince : null };
        (org.DefaultPermissions ??= []).Add(entry);
        return entry;
    }

    public static void RemoveDefaultPermission(this OrganizationRecord org, DefaultPermissionRecord entry)
    {
        org.DefaultPermissions?.Remove(entry);
        if (org.DefaultPermissions is { Count: 0 }) org.DefaultPermissions = null;
    }

    /// <summary>Nothing of the operator's is left in it: the entry can go (a Found organization stays in Quay).</summary>
    public static bool HoldsNothing(this OrganizationRecord org) =>
        !org.IsOwned() && (org.Robots?.All(r => r.Origin == Origin.Found) ?? true)
                       && (org.DefaultPermissions?.Count ?? 0) == 0
                       && (org.RepositoryPermissions?.Count ?? 0) == 0
                       && (org.Repositories?.All(r => r.Origin == Origin.Found) ?? true);
}
