using System.Text.Json.Serialization;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Quay;

public sealed record CreateOrganizationRequest([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("email")] string Email);

public sealed record CreateRobotRequest(
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("unstructured_metadata"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    Dictionary<string, string>? Metadata = null);

public sealed record RoleRequest([property: JsonPropertyName("role")] string Role);

public sealed record PrototypeDelegate(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string Name);

public sealed record CreatePrototypeRequest(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("delegate")] PrototypeDelegate Delegate);

public sealed record CreateRepositoryRequest(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("visibility")] string Visibility,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("repo_kind")] string RepoKind);

public sealed class QuayUser
{
    [JsonPropertyName("username")] public string? Username { get; set; }
    [JsonPropertyName("anonymous")] public bool Anonymous { get; set; }
    /// <summary>Only present when the token carries user:admin (needed to create organizations).</summary>
    [JsonPropertyName("is_me")] public bool? IsMe { get; set; }
}

public sealed class QuayOrganization
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    /// <summary>The email it was created with; empty unless the caller administers it (or it was created without one).</summary>
    [JsonPropertyName("email")] public string? Email { get; set; }
    /// <summary>Whether the caller administers it: only then does the email say anything of who made it.</summary>
    [JsonPropertyName("is_admin")] public bool IsAdmin { get; set; }
    /// <summary>Its teams by name, shown to its members (the operator's user is one of every organization it made).</summary>
    [JsonPropertyName("teams")] public Dictionary<string, System.Text.Json.JsonElement>? Teams { get; set; }
}

public sealed class QuayRobot
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("token")] public string? Token { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    /// <summary>When Quay made it (RFC 2822, to the second), as every robot answer and the list give it: a robot deleted and made again under its name has another.</summary>
    [JsonPropertyName("created")] public string? Created { get; set; }
    /// <summary>Only when the robot is read on its own (never in the list): what its creator stored with it.</summary>
    [JsonPropertyName("unstructured_metadata")] public System.Text.Json.JsonElement? Metadata { get; set; }
}

public sealed class QuayRobotPermissionList
{
    [JsonPropertyName("permissions")] public List<QuayRobotPermission> Permissions { get; set; } = [];
}

public sealed class QuayRepositoryPermissionList
{
    [JsonPropertyName("permissions")] public Dictionary<string, QuayPermission> Permissions { get; set; } = [];
}

public sealed class QuayRobotPermission
{
    [JsonPropertyName("repository")] public QuayRepositoryName Repository { get; set; } = new();
    [JsonPropertyName("role")] public string Role { get; set; } = "";
}

public sealed class QuayRepositoryName
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
}

public sealed class QuayRepositoryList
{
    [JsonPropertyName("repositories")] public List<QuayRepository> Repositories { get; set; } = [];
    [JsonPropertyName("next_page")] public string? NextPage { get; set; }
}

public sealed class QuayRepository
{
    [JsonPropertyName("namespace")] public string? Namespace { get; set; }
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
}

public sealed class QuayApplicationList
{
    [JsonPropertyName("applications")] public List<QuayApplication> Applications { get; set; } = [];
}

/// <summary>An organization's OAuth application: only its name is read (the operator makes none).</summary>
public sealed class QuayApplication
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
}

public sealed class QuayRobotList
{
    [JsonPropertyName("robots")] public List<QuayRobot> Robots { get; set; } = [];
}

public sealed class QuayPrototypeList
{
    [JsonPropertyName("prototypes")] public List<QuayPrototype> Prototypes { get; set; } = [];
}

public sealed class QuayPrototype
{
    // Every observation keeps its organization's prototypes for a drift interval, tens of thousands in all.
    private CompactUuid _id;

    [JsonPropertyName("id")]
    public string Id
    {
        get => _id.Value ?? "";
        set => _id = CompactUuid.Of(value);
    }

    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("activating_user")] public QuayPrototypeUser? ActivatingUser { get; set; }
    [JsonPropertyName("delegate")] public QuayPrototypeUser? Delegate { get; set; }
}

public sealed class QuayPrototypeUser
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("kind")] public string? Kind { get; set; }
}

public sealed class QuayPermission
{
    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("name")] public string? Name { get; set; }
}
