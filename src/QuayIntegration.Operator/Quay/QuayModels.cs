using System.Text.Json.Serialization;

namespace QuayIntegration.Operator.Quay;

public sealed record CreateOrganizationRequest([property: JsonPropertyName("name")] string Name);

public sealed record CreateRobotRequest([property: JsonPropertyName("description")] string Description);

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

public sealed class QuayRobot
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("token")] public string? Token { get; set; }
    /// <summary>Only in the robot list with <c>permissions=true</c>: names of the repositories the robot has a permission on.</summary>
    [JsonPropertyName("repositories")] public List<string>? Repositories { get; set; }
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
    [JsonPropertyName("id")] public string Id { get; set; } = "";
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
