namespace QuayIntegration.Emulators.Quay.Model;

// The in-memory rows of the emulated Quay database. They are mutable and only ever touched under QuayStore.Sync;
// nothing outside the emulator sees them (tests get immutable snapshots from StateSnapshot).

/// <summary>A user or a robot account (Quay keeps both in its User table; robots are named <c>org+short</c>).</summary>
public sealed class UserAccount
{
    public required string Name { get; init; }
    public string Email { get; set; } = "";
    public bool IsSuperuser { get; set; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    // Robot-only columns.
    public bool IsRobot => RobotOwner is not null;
    public string? RobotOwner { get; init; }
    public string RobotShortName => IsRobot ? Name[(Name.IndexOf('+') + 1)..] : Name;
    public string RobotToken { get; set; } = "";
    public string RobotDescription { get; set; } = "";
    public string? RobotMetadataJson { get; set; }
    public DateTimeOffset? LastAccessed { get; set; }
    /// <summary>Who created the robot (the performer Quay's audit log records); a test oracle, never on the wire.</summary>
    public string? CreatedBy { get; init; }
}

public sealed class Team
{
    public required string Name { get; init; }
    public required TeamRole Role { get; set; }
    public string Description { get; set; } = "";
    public HashSet<string> Members { get; } = new(StringComparer.Ordinal);
}

public sealed class Organization
{
    public required string Name { get; init; }
    /// <summary>Who created the organization (the performer Quay's audit log records); a test oracle, never on the wire.</summary>
    public string? CreatedBy { get; init; }
    /// <summary>Quay stores a random UUID when no email is given and shows it as "".</summary>
    public string Email { get; set; } = "";
    public Dictionary<string, Team> Teams { get; } = new(StringComparer.Ordinal);
    /// <summary>Robots by short name.</summary>
    public SortedDictionary<string, UserAccount> Robots { get; } = new(StringComparer.Ordinal);
    /// <summary>Default permissions, in insertion order; Quay never de-duplicates them.</summary>
    public List<Prototype> Prototypes { get; } = [];
}

public enum DelegateKind { User, Team }

public sealed class Prototype
{
    public required string Id { get; init; }
    public required RepositoryRole Role { get; set; }
    public string? ActivatingUser { get; init; }
    public required DelegateKind DelegateKind { get; init; }
    public required string DelegateName { get; init; }
    /// <summary>Who created the default permission (the performer Quay's audit log records); a test oracle.</summary>
    public string? CreatedBy { get; init; }
}

public sealed class Repository
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public string FullName => Namespace + "/" + Name;
    public bool IsPublic { get; set; }
    public string Description { get; set; } = "";
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>Who created the repository (the performer Quay's audit log records); a test oracle, never on the wire.</summary>
    public string? CreatedBy { get; init; }
    /// <summary>The repository's badge token, shown as <c>status_token</c> for private repositories.</summary>
    public string BadgeToken { get; init; } = Guid.NewGuid().ToString("N");
    /// <summary>Explicit permissions of users and robots, by user name.</summary>
    public Dictionary<string, RepositoryRole> UserPermissions { get; } = new(StringComparer.Ordinal);
    /// <summary>Permissions granted to teams of the owning organization, by team name.</summary>
    public Dictionary<string, RepositoryRole> TeamPermissions { get; } = new(StringComparer.Ordinal);
    /// <summary>Every tag row ever written, including history (ended tags have <see cref="TagRecord.EndTs"/>).</summary>
    public List<TagRecord> Tags { get; } = [];
    /// <summary>Manifests pushed to this repository, by digest.</summary>
    public Dictionary<string, StoredManifest> Manifests { get; } = new(StringComparer.Ordinal);
    /// <summary>Blob digests linked to this repository (the bytes live in the store's shared blob table).</summary>
    public HashSet<string> Blobs { get; } = new(StringComparer.Ordinal);

    public TagRecord? ActiveTag(string name) => Tags.FindLast(t => t.Name == name && t.EndTs is null);
    public IEnumerable<TagRecord> ActiveTags => Tags.Where(t => t.EndTs is null);
}

public sealed class TagRecord
{
    public required string Name { get; init; }
    public required string ManifestDigest { get; init; }
    public required long Size { get; init; }
    public required bool IsManifestList { get; init; }
    public required long StartTs { get; init; }
    public long? EndTs { get; set; }
}

public sealed record StoredManifest(string Digest, string MediaType, byte[] Content, long Size, bool IsList);
