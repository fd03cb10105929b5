using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary><c>endpoints/api/permission.py</c>: repository permissions of users and robots.</summary>
public static class PermissionEndpoints
{
    private const string NoPermission = "User does not have permission for repo.";
    private static readonly string[] Roles = ["read", "write", "admin"];

    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.QuayApi, "/api/v1/repository/{repository}/permissions/user/").Map("GET", List);
        routes.Add(RouteArea.QuayApi, "/api/v1/repository/{repository}/permissions/user/{username}")
            .Map("GET", Get).Map("PUT", Put).Map("DELETE", Delete);
    }

    /// <summary>
    /// Assumption (docs/quay-api.md is silent): a missing repository lists no permissions (Quay's query simply finds no
    /// rows).
    /// </summary>
    private static ApiResponse List(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RepositoryEndpoints.RequireRepositoryRole(request, RepositoryRole.Admin, out _, out _);
            var permissions = new JsonObject();
            if (repo is not null)
                foreach (var (username, role) in repo.UserPermissions.OrderBy(p => p.Key, StringComparer.Ordinal))
                    permissions[username] = Views.RepositoryPermission(username, role, repo, store);
            return ApiResponse.Ok(new JsonObject { ["permissions"] = permissions });
        }
    }

    private static ApiResponse Get(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RepositoryEndpoints.RequireRepositoryRole(request, RepositoryRole.Admin, out _, out _);
            var username = request["username"];
            if (repo is null || !repo.UserPermissions.TryGetValue(username, out var role)) throw QuayErrors.Message(400, NoPermission);
            return ApiResponse.Ok(Views.RepositoryPermission(username, role, repo, store));
        }
    }

    /// <summary>Upsert. A missing repository with an admin caller is Quay's uncaught DoesNotExist: a 500 page.</summary>
    private static ApiResponse Put(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RepositoryEndpoints.RequireRepositoryRole(request, RepositoryRole.Admin, out var ns, out _);
            var body = request.RequireJsonObject();
            RoleNames.TryParseRepositoryRole(Schema.RequiredEnum(body, "role", Roles), out var role);
            var username = request["username"];
            if (username == ns) throw QuayErrors.InvalidRequest("Namespace owner must always be admin.");
            var user = store.FindUser(username) ?? throw QuayErrors.InvalidRequest("Invalid username: " + username);
            if (user.IsRobot && user.RobotOwner != ns)
                throw QuayErrors.InvalidRequest($"Cannot add robot {username} under namespace {ns}");
            if (repo is null) throw QuayErrors.ServerError();
            repo.UserPermissions[username] = role;
            return ApiResponse.Ok(Views.RepositoryPermission(username, role, repo, store));
        }
    }

    private static ApiResponse Delete(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RepositoryEndpoints.RequireRepositoryRole(request, RepositoryRole.Admin, out _, out _);
            if (repo is null || !repo.UserPermissions.Remove(request["username"])) throw QuayErrors.InvalidRequest(NoPermission);
        }
        return ApiResponse.NoContent();
    }
}
