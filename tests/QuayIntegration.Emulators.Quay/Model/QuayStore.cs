using System.Security.Cryptography;
using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Emulators.Quay.Model;

/// <summary>
/// The emulated Quay database. One lock (<see cref="Sync"/>) guards everything: an endpoint takes it once and runs its
/// checks and writes under it, so concurrent clients see Quay's transactional behaviour (a duplicate create is a clean
/// 400, never a half-written row). Handlers are microseconds long, so the single lock is not a throughput limit.
/// Every member except <see cref="Sync"/> must be used with the lock held.
/// </summary>
public sealed class QuayStore
{
    private const string RobotTokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public Lock Sync { get; } = new();

    public Dictionary<string, UserAccount> Users { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, Organization> Organizations { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, AccessToken> Tokens { get; } = new(StringComparer.Ordinal);
    /// <summary>Repositories by namespace (user or organization), then by repository name.</summary>
    public Dictionary<string, SortedDictionary<string, Repository>> Repositories { get; } = new(StringComparer.Ordinal);
    /// <summary>Names of deleted organizations and when the emulated GC worker will have purged them.</summary>
    public Dictionary<string, DateTimeOffset> DeletedNamespaces { get; } = new(StringComparer.Ordinal);
    /// <summary>Blob bytes by digest, shared by all repositories (like Quay's storage).</summary>
    public Dictionary<string, byte[]> Blobs { get; } = new(StringComparer.Ordinal);

    public TimeSpan NamespaceGcDelay { get; set; } = TimeSpan.FromSeconds(3);
    public bool SuperusersFullAccess { get; set; }

    /// <summary>See <see cref="QuayEmulatorOptions.OrganizationCreationForSuperusersOnly"/>.</summary>
    public bool OrganizationCreationForSuperusersOnly { get; set; }

    /// <summary>See <see cref="QuayEmulatorOptions.OrganizationEmailRequired"/>.</summary>
    public bool OrganizationEmailRequired { get; set; }

    // Read by the pipeline on every request without the lock, hence volatile.
    private volatile bool _anonymousAccess = true;
    private volatile bool _readOnly;

    /// <summary>FEATURE_ANONYMOUS_ACCESS (on by default in Quay).</summary>
    public bool AnonymousAccess { get => _anonymousAccess; set => _anonymousAccess = value; }

    /// <summary>REGISTRY_STATE=readonly: every API write answers 503.</summary>
    public bool ReadOnly { get => _readOnly; set => _readOnly = value; }

    public UserAccount? FindUser(string name) => Users.GetValueOrDefault(name);
    public Organization? FindOrganization(string name) => Organizations.GetValueOrDefault(name);

    public Repository? FindRepository(string ns, string name) =>
        Repositories.TryGetValue(ns, out var repos) ? repos.GetValueOrDefault(name) : null;

    public IEnumerable<Repository> RepositoriesIn(string ns) =>
        Repositories.TryGetValue(ns, out var repos) ? repos.Values : [];

    public IEnumerable<Repository> AllRepositories => Repositories.Values.SelectMany(r => r.Values);

    /// <summary>True while a deleted organization's name still waits for garbage collection.</summary>
    public bool IsAwaitingGarbageCollection(string name, DateTimeOffset now)
    {
        if (!DeletedNamespaces.TryGetValue(name, out var purgeAt)) return false;
        if (purgeAt > now) return true;
        DeletedNamespaces.Remove(name);
        return false;
    }

    public void CollectGarbageNow() => DeletedNamespaces.Clear();

    public UserAccount AddUser(string name, bool superuser, string? email)
    {
        if (Users.ContainsKey(name) || Organizations.ContainsKey(name))
            throw new InvalidOperationException($"A user or organization named '{name}' already exists.");
        var user = new UserAccount { Name = name, IsSuperuser = superuser, Email = email ?? name + "@example.com" };
        Users[name] = user;
        return user;
    }

    public Organization CreateOrganization(string name, string email, UserAccount owner)
    {
        var org = new Organization { Name = name, Email = email, CreatedBy = owner.Name };
        var owners = new Team { Name = "owners", Role = TeamRole.Admin };
        owners.Members.Add(owner.Name);
        org.Teams[owners.Name] = owners;
        Organizations[name] = org;
        return org;
    }

    /// <summary>
    /// Quay's <c>mark_namespace_for_deletion</c>: robots, teams and their permissions go at once and the org is renamed
    /// (so its old name is free for GETs); the name stays reserved until the GC worker has purged the org. The robots
    /// are those <c>list_namespace_robots</c> selects, by SQL LIKE '&lt;org&gt;+%': a '_' in the name matches any
    /// character, so the robots of look-alike organizations (<c>a_b</c> takes those of <c>a-b</c> and <c>a.b</c>) go too.
    /// </summary>
    public void DeleteOrganization(Organization org, DateTimeOffset now)
    {
        foreach (var robot in Users.Values.Where(u => u.IsRobot && SqlLike.Matches(u.Name, org.Name + "+")).ToList())
        {
            var owner = Organizations.GetValueOrDefault(robot.Name[..robot.Name.IndexOf('+')]);
            if (owner is not null) DeleteRobot(owner, robot);
            else Users.Remove(robot.Name);
        }
        // delete_user removes the org's OAuth applications (and their tokens) at once, not at GC time.
        org.Applications.Clear();
        Organizations.Remove(org.Name);
        Repositories.Remove(org.Name);
        DeletedNamespaces[org.Name] = now + NamespaceGcDelay;
    }

    public UserAccount CreateRobot(Organization org, string shortName, string description, string? metadataJson, string? createdBy = null)
    {
        var robot = new UserAccount
        {
            Name = NameRules.RobotFullName(org.Name, shortName),
            RobotOwner = org.Name,
            RobotToken = NewRobotToken(),
            RobotDescription = description,
            RobotMetadataJson = metadataJson,
            CreatedBy = createdBy,
        };
        Users[robot.Name] = robot;
        org.Robots[shortName] = robot;
        return robot;
    }

    /// <summary>Quay deletes robots recursively: repository permissions, team memberships and prototypes that name them.</summary>
    public void DeleteRobot(Organization org, UserAccount robot)
    {
        org.Robots.Remove(robot.RobotShortName);
        Users.Remove(robot.Name);
        foreach (var team in org.Teams.Values) team.Members.Remove(robot.Name);
        foreach (var repo in AllRepositories) repo.UserPermissions.Remove(robot.Name);
        org.Prototypes.RemoveAll(p => p.ActivatingUser == robot.Name || (p.DelegateKind == DelegateKind.User && p.DelegateName == robot.Name));
        foreach (var token in Tokens.Values.Where(t => t.Username == robot.Name).ToList()) Tokens.Remove(token.Token);
    }

    public static string NewRobotToken() =>
        RandomNumberGenerator.GetString(RobotTokenAlphabet, 64);

    /// <summary>
    /// Quay's <c>create_application</c>: the client id is the column default <c>random_string_generator(length=20)</c>,
    /// the secret <c>random_string_generator(length=40)</c>, both uppercase letters and digits.
    /// </summary>
    public static OAuthApplication CreateApplication(Organization org, string name, string applicationUri, string redirectUri,
        string description, string? avatarEmail, string? createdBy)
    {
        var application = new OAuthApplication
        {
            ClientId = RandomNumberGenerator.GetString(RobotTokenAlphabet, 20),
            ClientSecret = RandomNumberGenerator.GetString(RobotTokenAlphabet, 40),
            Name = name,
            ApplicationUri = applicationUri,
            RedirectUri = redirectUri,
            Description = description,
            AvatarEmail = avatarEmail,
            CreatedBy = createdBy,
        };
        org.Applications.Add(application);
        return application;
    }

    /// <summary>
    /// Quay's <c>create_repository</c>: the creating user gets an explicit admin permission and, in an organization, the
    /// org's default permissions whose activating user is empty or the creator are applied.
    /// </summary>
    public Repository CreateRepository(string ns, string name, bool isPublic, string description, UserAccount? creator)
    {
        var repo = new Repository { Namespace = ns, Name = name, IsPublic = isPublic, Description = description, CreatedBy = creator?.Name };
        if (!Repositories.TryGetValue(ns, out var repos)) Repositories[ns] = repos = new(StringComparer.Ordinal);
        repos[name] = repo;
        if (creator is null) return repo;

        if (Organizations.TryGetValue(ns, out var org)) ApplyDefaultPermissions(org, repo, creator);
        repo.UserPermissions[creator.Name] = RepositoryRole.Admin;
        return repo;
    }

    private static void ApplyDefaultPermissions(Organization org, Repository repo, UserAccount creator)
    {
        // Quay's __apply_permission_list (data/model/permission.py), over the prototypes in the order its query returns
        // them (no ORDER BY; here, creation order): a generic one is skipped once the delegate has one, so the first
        // generic one wins; one for this creator always replaces what was there.
        var users = new Dictionary<string, RepositoryRole>(StringComparer.Ordinal);
        var teams = new Dictionary<string, RepositoryRole>(StringComparer.Ordinal);
        foreach (var prototype in org.Prototypes)
        {
            var specific = prototype.ActivatingUser is not null;
            if (specific && prototype.ActivatingUser != creator.Name) continue;
            var target = prototype.DelegateKind == DelegateKind.User ? users : teams;
            if (specific || !target.ContainsKey(prototype.DelegateName)) target[prototype.DelegateName] = prototype.Role;
        }
        foreach (var (user, role) in users) repo.UserPermissions[user] = role;
        foreach (var (team, role) in teams) repo.TeamPermissions[team] = role;
    }

    public void DeleteRepository(Repository repo)
    {
        if (Repositories.TryGetValue(repo.Namespace, out var repos)) repos.Remove(repo.Name);
    }
}
