using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary><c>endpoints/api/robot.py</c>: organization robot accounts.</summary>
public static class RobotEndpoints
{
    private const string RobotNotFound = "Could not find robot with specified username";

    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/robots").Map("GET", List);
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/robots/{robot_shortname}")
            .Map("GET", Get).Map("PUT", Create).Map("DELETE", Delete);
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate")
            .Map("POST", Regenerate);
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/robots/{robot_shortname}/permissions")
            .Map("GET", Permissions);
    }

    private static void RequireAdmin(ApiRequest request, string orgName)
    {
        if (!request.Core.Authorizer.IsOrganizationAdmin(request.Caller, orgName))
            throw QuayErrors.Unauthorized(request.Caller.User is not null);
    }

    /// <summary>A missing robot, or a short name that could never exist, is Quay's 400 (B), not a 404.</summary>
    private static UserAccount FindRobot(QuayStore store, string orgName, string shortName) =>
        store.FindOrganization(orgName)?.Robots.GetValueOrDefault(shortName) ?? throw QuayErrors.Message(400, RobotNotFound);

    private static ApiResponse List(ApiRequest request)
    {
        var orgName = request["orgname"];
        var store = request.Core.Store;
        var includeToken = request.QueryFlag("token", true);
        var includePermissions = request.QueryFlag("permissions", false);
        var limit = request.QueryInt("limit");
        lock (store.Sync)
        {
            var authorizer = request.Core.Authorizer;
            if (!authorizer.IsOrganizationMember(request.Caller, orgName)) throw QuayErrors.Unauthorized(request.Caller.User is not null);
            var isAdmin = authorizer.IsOrganizationAdmin(request.Caller, orgName);

            // Quay selects robots with SQL LIKE '<org>+%' (case-insensitive), so '_' in the org name matches any character.
            var robots = store.Users.Values
                .Where(u => u.IsRobot && SqlLike.Matches(u.Name, orgName + "+"))
                .OrderByDescending(u => u.LastAccessed ?? DateTimeOffset.MinValue)
                .ThenBy(u => u.Name, StringComparer.Ordinal)
                .Take(limit is > 0 ? limit.Value : int.MaxValue);

            var list = new JsonArray();
            foreach (var robot in robots)
            {
                var view = new JsonObject
                {
                    ["name"] = robot.Name,
                    ["created"] = WireFormats.Rfc2822(robot.Created),
                    ["last_accessed"] = WireFormats.Rfc2822OrNull(robot.LastAccessed),
                    ["description"] = robot.RobotDescription,
                };
                if (isAdmin && includeToken) view["token"] = robot.RobotToken;
                if (isAdmin && includePermissions)
                {
                    var owner = store.FindOrganization(robot.RobotOwner!);
                    view["teams"] = new JsonArray(owner?.Teams.Values.Where(t => t.Members.Contains(robot.Name))
                        .Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["avatar"] = WireFormats.Avatar(t.Name, "team") })
                        .ToArray() ?? []);
                    view["repositories"] = new JsonArray(store.AllRepositories.Where(r => r.UserPermissions.ContainsKey(robot.Name))
                        .Select(r => (JsonNode)JsonValue.Create(r.Name)).ToArray());
                }
                list.Add(view);
            }
            return ApiResponse.Ok(new JsonObject { ["robots"] = list });
        }
    }

    private static ApiResponse Get(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            RequireAdmin(request, request["orgname"]);
            var robot = FindRobot(store, request["orgname"], request["robot_shortname"]);
            return ApiResponse.Ok(Views.Robot(robot, includeMetadata: true));
        }
    }

    /// <summary>
    /// The body is read with <c>get_json(silent=True)</c> (empty, non-JSON or malformed means "no body"), and schema
    /// errors come before the permission check; the name is validated before the duplicate check.
    /// </summary>
    private static ApiResponse Create(ApiRequest request)
    {
        var body = request.OptionalJsonObjectSilently();
        var description = "";
        JsonObject? metadata = null;
        if (body is not null)
        {
            description = Schema.OptionalString(body, "description") ?? "";
            Schema.MaxLength(description, 255);
            metadata = Schema.OptionalObject(body, "unstructured_metadata");
        }

        var orgName = request["orgname"];
        var shortName = request["robot_shortname"];
        var store = request.Core.Store;
        lock (store.Sync)
        {
            RequireAdmin(request, orgName);
            var org = store.FindOrganization(orgName) ?? throw QuayErrors.NotFound();
            if (!NameRules.IsValidNamespace(shortName, out var issue))
                throw QuayErrors.InvalidRequest($"The name for the robot '{shortName}' is invalid: {issue}");
            if (org.Robots.ContainsKey(shortName))
                throw QuayErrors.InvalidRequest("Existing robot with name: " + NameRules.RobotFullName(orgName, shortName));

            var robot = store.CreateRobot(org, shortName, description, metadata?.ToJsonString(), request.Caller.User?.Name);
            var view = Views.Robot(robot, includeMetadata: false);
            // On create Quay echoes the metadata as given: null when it was omitted (a later GET shows {}).
            view["unstructured_metadata"] = metadata?.DeepClone();
            return ApiResponse.Json(201, view);
        }
    }

    private static ApiResponse Delete(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            RequireAdmin(request, request["orgname"]);
            var robot = FindRobot(store, request["orgname"], request["robot_shortname"]);
            store.DeleteRobot(store.FindOrganization(request["orgname"])!, robot);
        }
        return ApiResponse.NoContent();
    }

    /// <summary>
    /// <c>OrgRobotPermissions.get</c>: <c>@require_user_admin</c> first (no user 401, a token without user:admin 403),
    /// then organization admin (403 otherwise, also for a missing organization), then the robot (400 B when missing).
    /// Every repository permission of the robot with its role, as <c>list_robot_permissions</c> selects the rows.
    /// </summary>
    private static ApiResponse Permissions(ApiRequest request)
    {
        var caller = request.Caller;
        if (caller.User is null || !caller.Has(QuayScopes.UserAdmin)) throw QuayErrors.Unauthorized(caller.User is not null);
        var store = request.Core.Store;
        lock (store.Sync)
        {
            RequireAdmin(request, request["orgname"]);
            var robot = FindRobot(store, request["orgname"], request["robot_shortname"]);
            var permissions = new JsonArray();
            foreach (var repo in store.AllRepositories.OrderBy(r => r.FullName, StringComparer.Ordinal))
            {
                if (!repo.UserPermissions.TryGetValue(robot.Name, out var role)) continue;
                permissions.Add(new JsonObject
                {
                    ["repository"] = new JsonObject { ["name"] = repo.Name, ["is_public"] = repo.IsPublic },
                    ["role"] = role.ToWire(),
                });
            }
            return ApiResponse.Ok(new JsonObject { ["permissions"] = permissions });
        }
    }

    private static ApiResponse Regenerate(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            RequireAdmin(request, request["orgname"]);
            var robot = FindRobot(store, request["orgname"], request["robot_shortname"]);
            robot.RobotToken = QuayStore.NewRobotToken();
            return ApiResponse.Ok(Views.Robot(robot, includeMetadata: false));
        }
    }
}
