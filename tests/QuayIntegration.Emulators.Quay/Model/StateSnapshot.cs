namespace QuayIntegration.Emulators.Quay.Model;

// Immutable copies of the emulated database for tests, the JSON dump and the HTML page.

public sealed record QuayState(
    IReadOnlyList<UserState> Users,
    IReadOnlyList<OrganizationState> Organizations,
    IReadOnlyList<RepositoryState> Repositories,
    IReadOnlyList<DeletedNamespaceState> DeletedNamespaces)
{
    public OrganizationState? Organization(string name) => Organizations.FirstOrDefault(o => o.Name == name);
    public RepositoryState? Repository(string ns, string name) => Repositories.FirstOrDefault(r => r.Namespace == ns && r.Name == name);
}

public sealed record UserState(string Name, bool IsSuperuser, string Email);

public sealed record OrganizationState(
    string Name,
    string Email,
    IReadOnlyList<TeamState> Teams,
    IReadOnlyList<RobotState> Robots,
    IReadOnlyList<PrototypeState> Prototypes,
    string? CreatedBy = null)
{
    /// <summary>The organization's OAuth applications, in creation order (the order Quay lists them in).</summary>
    public IReadOnlyList<ApplicationState> Applications { get; init; } = [];
}

public sealed record TeamState(string Name, string Role, IReadOnlyList<string> Members);

public sealed record RobotState(string Name, string Description, string Token, DateTimeOffset Created, DateTimeOffset? LastAccessed,
    string? MetadataJson = null, string? CreatedBy = null);

/// <summary>An OAuth application with its secret; <see cref="CreatedBy"/> is a test oracle, never on the wire.</summary>
public sealed record ApplicationState(string ClientId, string ClientSecret, string Name, string Description, string ApplicationUri,
    string RedirectUri, string? AvatarEmail, string? CreatedBy = null);

public sealed record PrototypeState(string Id, string Role, string? ActivatingUser, string DelegateKind, string DelegateName, string? CreatedBy = null);

public sealed record RepositoryState(
    string Namespace,
    string Name,
    bool IsPublic,
    string Description,
    IReadOnlyDictionary<string, string> UserPermissions,
    IReadOnlyDictionary<string, string> TeamPermissions,
    IReadOnlyList<TagState> Tags,
    string? CreatedBy = null);

public sealed record TagState(string Name, string ManifestDigest, long Size, long StartTs, long? EndTs);

public sealed record DeletedNamespaceState(string Name, DateTimeOffset PurgeAt);

public static class StateSnapshots
{
    /// <summary>Copies the store; takes the lock itself.</summary>
    public static QuayState Take(QuayStore store)
    {
        lock (store.Sync)
        {
            var now = DateTimeOffset.UtcNow;
            return new QuayState(
                store.Users.Values.Where(u => !u.IsRobot).OrderBy(u => u.Name, StringComparer.Ordinal)
                    .Select(u => new UserState(u.Name, u.IsSuperuser, u.Email)).ToList(),
                store.Organizations.Values.OrderBy(o => o.Name, StringComparer.Ordinal).Select(Copy).ToList(),
                store.AllRepositories.OrderBy(r => r.FullName, StringComparer.Ordinal).Select(Copy).ToList(),
                store.DeletedNamespaces.Where(d => d.Value > now).Select(d => new DeletedNamespaceState(d.Key, d.Value)).ToList());
        }
    }

    /// <summary>
    /// Copies one organization and its repositories, or null when there is none; takes the lock itself. Its cost does not
    /// grow with the rest of the store, so a poller checking a few organizations at a time holds the lock only briefly.
    /// </summary>
    public static (OrganizationState Organization, IReadOnlyList<RepositoryState> Repositories)? TakeOrganization(QuayStore store, string name)
    {
        lock (store.Sync)
        {
            if (!store.Organizations.TryGetValue(name, out var organization)) return null;
            return (Copy(organization), store.RepositoriesIn(name).Select(Copy).ToList());
        }
    }

    private static OrganizationState Copy(Organization o) => new(
        o.Name,
        o.Email,
        o.Teams.Values.Select(t => new TeamState(t.Name, t.Role.ToWire(), t.Members.Order(StringComparer.Ordinal).ToList())).ToList(),
        o.Robots.Values.Select(r => new RobotState(r.Name, r.RobotDescription, r.RobotToken, r.Created, r.LastAccessed,
            r.RobotMetadataJson, r.CreatedBy)).ToList(),
        o.Prototypes.Select(p => new PrototypeState(p.Id, p.Role.ToWire(), p.ActivatingUser,
            p.DelegateKind == DelegateKind.User ? "user" : "team", p.DelegateName, p.CreatedBy)).ToList(),
        o.CreatedBy)
    {
        Applications = o.Applications.Select(a => new ApplicationState(a.ClientId, a.ClientSecret, a.Name, a.Description,
            a.ApplicationUri, a.RedirectUri, a.AvatarEmail, a.CreatedBy)).ToList(),
    };

    private static RepositoryState Copy(Repository r) => new(
        r.Namespace,
        r.Name,
        r.IsPublic,
        r.Description,
        r.UserPermissions.ToDictionary(p => p.Key, p => p.Value.ToWire()),
        r.TeamPermissions.ToDictionary(p => p.Key, p => p.Value.ToWire()),
        r.Tags.Select(t => new TagState(t.Name, t.ManifestDigest, t.Size, t.StartTs, t.EndTs)).ToList(),
        r.CreatedBy);
}
