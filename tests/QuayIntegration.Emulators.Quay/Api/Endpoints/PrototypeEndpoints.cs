using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary><c>endpoints/api/prototype.py</c>: an organization's default permissions.</summary>
public static class PrototypeEndpoints
{
    private static readonly string[] Roles = ["read", "write", "admin"];
    private static readonly string[] DelegateKinds = ["user", "team"];

    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/prototypes").Map("GET", List).Map("POST", Create);
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/prototypes/{prototypeid}").Map("DELETE", Delete).Map("PUT", Update);
    }

    /// <summary>Org admin required; a missing organization fails the same check (403), never 404.</summary>
    private static Organization RequireAdmin(ApiRequest request)
    {
        var orgName = request["orgname"];
        if (!request.Core.Authorizer.IsOrganizationAdmin(request.Caller, orgName))
            throw QuayErrors.Unauthorized(request.Caller.User is not null);
        return request.Core.Store.FindOrganization(orgName) ?? throw QuayErrors.NotFound();
    }

    private static ApiResponse List(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            var list = new JsonArray(org.Prototypes.Select(p => (JsonNode)Views.Prototype(p, org, store)).ToArray());
            return ApiResponse.Ok(new JsonObject { ["prototypes"] = list });
        }
    }

    /// <summary>200 (not 201) and no duplicate detection: every POST inserts a new row.</summary>
    private static ApiResponse Create(ApiRequest request)
    {
        var body = request.RequireJsonObject();
        var role = Schema.RequiredEnum(body, "role", Roles);
        var delegateObject = Schema.RequiredObject(body, "delegate");
        var delegateKind = Schema.RequiredEnum(delegateObject, "kind", DelegateKinds);
        var delegateName = Schema.RequiredString(delegateObject, "name");
        var activatingName = Schema.OptionalObject(body, "activating_user") is { } activating
            ? Schema.RequiredString(activating, "name")
            : null;

        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            if (activatingName is not null && store.FindUser(activatingName) is null)
                throw QuayErrors.InvalidRequest("Unknown activating user");
            if (delegateKind == "user" && store.FindUser(delegateName) is null)
                throw QuayErrors.InvalidRequest("Missing delegate user or team");
            if (delegateKind == "team" && !org.Teams.ContainsKey(delegateName))
                // Quay formats this DataModelException's args tuple, hence the Python tuple repr in the message.
                throw QuayErrors.Message(400, $"('Team does not exist: %s/%s', '{org.Name}', '{delegateName}')");

            RoleNames.TryParseRepositoryRole(role, out var parsedRole);
            var prototype = new Prototype
            {
                Id = Guid.NewGuid().ToString(),
                Role = parsedRole,
                ActivatingUser = activatingName,
                DelegateKind = delegateKind == "user" ? DelegateKind.User : DelegateKind.Team,
                DelegateName = delegateName,
                CreatedBy = request.Caller.User?.Name,
            };
            org.Prototypes.Add(prototype);
            return ApiResponse.Ok(Views.Prototype(prototype, org, store));
        }
    }

    private static ApiResponse Delete(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            if (org.Prototypes.RemoveAll(p => p.Id == request["prototypeid"]) == 0) throw QuayErrors.NotFound();
        }
        return ApiResponse.NoContent();
    }

    private static ApiResponse Update(ApiRequest request)
    {
        var body = request.RequireJsonObject();
        var role = Schema.RequiredEnum(body, "role", Roles);
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            var prototype = org.Prototypes.Find(p => p.Id == request["prototypeid"]) ?? throw QuayErrors.NotFound();
            RoleNames.TryParseRepositoryRole(role, out var parsedRole);
            prototype.Role = parsedRole;
            return ApiResponse.Ok(Views.Prototype(prototype, org, store));
        }
    }
}
