using System.Text.Json.Nodes;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// The two sides of a repository role the operator gives: what the robot holds in the emulated Quay, and what the
/// namespace's ownership record notes as given, to be given back (<c>spec.organizations[].repositoryPermissions</c>).
/// </summary>
public static class RepositoryRoles
{
    /// <summary>The robot's role on the repository in Quay now (lower case, as Quay's API spells it), or null.</summary>
    public static string? RoleOf(OperatorEnvironment env, string organization, string repository, string robot) =>
        env.Quay.State.Repository(organization, repository)?.UserPermissions.TryGetValue(robot, out var role) == true
            ? role.ToString().ToLowerInvariant()
            : null;

    /// <summary>The roles the record notes as given, every robot's or <paramref name="robot"/>'s alone.</summary>
    public static List<JsonNode?> Noted(JsonObject? record, string? robot = null) =>
        record?["spec"]?["organizations"]?.AsArray().SelectMany(o => o?["repositoryPermissions"]?.AsArray() ?? [])
            .Where(p => robot is null || p?["robot"]?.GetValue<string>() == robot).ToList() ?? [];
}
