using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api;

/// <summary>The JSON shapes Quay returns for its rows (to be built with the store lock held).</summary>
public static class Views
{
    /// <summary>The <c>U</c> shape of prototypes: <c>{name, kind:"user", is_robot, is_org_member, avatar}</c>.</summary>
    public static JsonObject PrototypeUser(UserAccount? user, string name, Organization org) => new()
    {
        ["name"] = name,
        ["kind"] = "user",
        ["is_robot"] = user?.IsRobot ?? name.Contains('+'),
        ["is_org_member"] = user is { IsRobot: true } || Authorizer.TeamRoleOf(name, org) is not null,
        ["avatar"] = WireFormats.Avatar(name, user is { IsRobot: true } ? "robot" : "user", user?.Email),
    };

    public static JsonObject Prototype(Prototype prototype, Organization org, QuayStore store) => new()
    {
        ["id"] = prototype.Id,
        ["role"] = prototype.Role.ToWire(),
        ["activating_user"] = prototype.ActivatingUser is { } activating
            ? PrototypeUser(store.FindUser(activating), activating, org)
            : null,
        ["delegate"] = prototype.DelegateKind == DelegateKind.User
            ? PrototypeUser(store.FindUser(prototype.DelegateName), prototype.DelegateName, org)
            : new JsonObject
            {
                ["name"] = prototype.DelegateName,
                ["kind"] = "team",
                ["avatar"] = WireFormats.Avatar(prototype.DelegateName, "team"),
            },
    };

    /// <summary>A robot as the single-robot GET shows it (token and unstructured_metadata included).</summary>
    public static JsonObject Robot(UserAccount robot, bool includeMetadata)
    {
        var view = new JsonObject
        {
            ["name"] = robot.Name,
            ["created"] = WireFormats.Rfc2822(robot.Created),
            ["last_accessed"] = WireFormats.Rfc2822OrNull(robot.LastAccessed),
            ["description"] = robot.RobotDescription,
            ["token"] = robot.RobotToken,
        };
        if (includeMetadata)
            view["unstructured_metadata"] = robot.RobotMetadataJson is null ? new JsonObject() : JsonNode.Parse(robot.RobotMetadataJson);
        return view;
    }

    /// <summary>A repository permission entry: <c>{role, name, is_robot, avatar}</c> plus <c>is_org_member</c> in an org.</summary>
    public static JsonObject RepositoryPermission(string username, RepositoryRole role, Repository repo, QuayStore store)
    {
        var user = store.FindUser(username);
        var view = new JsonObject
        {
            ["role"] = role.ToWire(),
            ["name"] = username,
            ["is_robot"] = user?.IsRobot ?? false,
            ["avatar"] = WireFormats.Avatar(username, user is { IsRobot: true } ? "robot" : "user", user?.Email),
        };
        if (store.FindOrganization(repo.Namespace) is { } org)
            view["is_org_member"] = user is { IsRobot: true } || Authorizer.TeamRoleOf(username, org) is not null;
        return view;
    }

    /// <summary>
    /// <c>app_view</c> (<c>endpoints/api/organization.py</c>): the secret, the redirect URI and the avatar email are shown
    /// only to an organization admin (AdministerOrganizationPermission, which team membership alone grants), null to
    /// anyone else let in (a full-access superuser).
    /// </summary>
    public static JsonObject Application(OAuthApplication application, bool isAdmin) => new()
    {
        ["name"] = application.Name,
        ["description"] = application.Description,
        ["application_uri"] = application.ApplicationUri,
        ["client_id"] = application.ClientId,
        ["client_secret"] = isAdmin ? application.ClientSecret : null,
        ["redirect_uri"] = isAdmin ? application.RedirectUri : null,
        ["avatar_email"] = isAdmin ? application.AvatarEmail : null,
    };
}
