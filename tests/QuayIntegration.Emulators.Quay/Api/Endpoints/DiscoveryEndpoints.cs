using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary>
/// <c>endpoints/api/discovery.py</c>: a Swagger 2.0 document of the emulated routes, open to anonymous callers.
/// Operation ids and scopes are Quay's nicknames and <c>@require_scope</c> values for these endpoints.
/// </summary>
public static partial class DiscoveryEndpoints
{
    public const string Template = "/api/v1/discovery";

    private static readonly Dictionary<string, (string OperationId, string Scope, string Summary)> Operations = new(StringComparer.Ordinal)
    {
        ["GET /api/v1/user/"] = ("getLoggedInUser", "user:read", "Get user information for the authenticated user."),
        ["POST /api/v1/organization/"] = ("createOrganization", "user:admin", "Create a new organization."),
        ["GET /api/v1/organization/{orgname}"] = ("getOrganization", "org:admin", "Get the details for the specified organization."),
        ["DELETE /api/v1/organization/{orgname}"] = ("deleteAdminedOrganization", "org:admin", "Deletes the specified organization."),
        ["GET /api/v1/organization/{orgname}/robots"] = ("getOrgRobots", "org:admin", "List the organization's robots."),
        ["GET /api/v1/organization/{orgname}/robots/{robot_shortname}"] = ("getOrgRobot", "org:admin", "Returns the organization's robot with the specified name."),
        ["PUT /api/v1/organization/{orgname}/robots/{robot_shortname}"] = ("createOrgRobot", "org:admin", "Create a new robot in the organization."),
        ["DELETE /api/v1/organization/{orgname}/robots/{robot_shortname}"] = ("deleteOrgRobot", "org:admin", "Delete an existing organization robot."),
        ["POST /api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate"] = ("regenerateOrgRobotToken", "org:admin", "Regenerates the token for an organization robot."),
        ["GET /api/v1/organization/{orgname}/robots/{robot_shortname}/permissions"] = ("getOrgRobotPermissions", "user:admin", "Returns the list of repository permissions for the org's robot."),
        ["GET /api/v1/organization/{orgname}/prototypes"] = ("getOrganizationPrototypePermissions", "org:admin", "List the existing prototypes for this organization."),
        ["POST /api/v1/organization/{orgname}/prototypes"] = ("createOrganizationPrototypePermission", "org:admin", "Create a new permission prototype."),
        ["DELETE /api/v1/organization/{orgname}/prototypes/{prototypeid}"] = ("deleteOrganizationPrototypePermission", "org:admin", "Delete an existing permission prototype."),
        ["PUT /api/v1/organization/{orgname}/prototypes/{prototypeid}"] = ("updateOrganizationPrototypePermission", "org:admin", "Update the role of an existing permission prototype."),
        ["GET /api/v1/organization/{orgname}/applications"] = ("getOrganizationApplications", "org:admin", "List the applications for the specified organization."),
        ["POST /api/v1/organization/{orgname}/applications"] = ("createOrganizationApplication", "org:admin", "Creates a new application under this organization."),
        ["GET /api/v1/organization/{orgname}/applications/{client_id}"] = ("getOrganizationApplication", "org:admin", "Retrieves the application with the specified client_id under the specified organization."),
        ["PUT /api/v1/organization/{orgname}/applications/{client_id}"] = ("updateOrganizationApplication", "org:admin", "Updates an application under this organization."),
        ["DELETE /api/v1/organization/{orgname}/applications/{client_id}"] = ("deleteOrganizationApplication", "org:admin", "Deletes the application under this organization."),
        ["POST /api/v1/repository"] = ("createRepo", "repo:create", "Create a new repository."),
        ["GET /api/v1/repository"] = ("listRepos", "repo:read", "Fetch the list of repositories visible to the current user under a variety of situations."),
        ["GET /api/v1/repository/{repository}"] = ("getRepo", "repo:read", "Fetch the specified repository."),
        ["DELETE /api/v1/repository/{repository}"] = ("deleteRepository", "repo:admin", "Delete a repository."),
        ["GET /api/v1/repository/{repository}/tag/"] = ("listRepoTags", "repo:read", "List the tags of a repository."),
        ["GET /api/v1/repository/{repository}/permissions/user/"] = ("listRepoUserPermissions", "repo:admin", "List all user permissions."),
        ["GET /api/v1/repository/{repository}/permissions/user/{username}"] = ("getUserPermissions", "repo:admin", "Get the permission for the specified user."),
        ["PUT /api/v1/repository/{repository}/permissions/user/{username}"] = ("changeUserPermissions", "repo:admin", "Update the perimssions for an existing repository."),
        ["DELETE /api/v1/repository/{repository}/permissions/user/{username}"] = ("deleteUserPermissions", "repo:admin", "Delete the permission for the user."),
    };

    private static readonly (string Scope, string Description)[] Scopes =
    [
        ("repo:read", "View all visible repositories"), ("repo:write", "Read/Write to any accessible repositories"),
        ("repo:admin", "Administer Repositories"), ("repo:create", "Create Repositories"),
        ("user:read", "Read User Information"), ("user:admin", "Administer User"),
        ("org:admin", "Administer Organization"), ("super:user", "Super User Access"),
    ];

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Parameter();

    public static void Map(RouteTable routes) => routes.Add(RouteArea.QuayApi, Template).Map("GET", request => Discover(request, routes));

    private static ApiResponse Discover(ApiRequest request, RouteTable routes)
    {
        var http = request.Http.Request;
        var paths = new JsonObject();
        foreach (var route in routes.Routes.Where(r => r.Area == RouteArea.QuayApi && r.Template != Template).OrderBy(r => r.Template, StringComparer.Ordinal))
        {
            var item = new JsonObject();
            foreach (var method in route.Handlers.Keys.Order(StringComparer.Ordinal))
            {
                var (operationId, scope, summary) = Operations.TryGetValue($"{method} {route.Template}", out var known)
                    ? known
                    : (method.ToLowerInvariant() + "Operation", "", "");
                var parameters = new JsonArray();
                foreach (Match parameter in Parameter().Matches(route.Template))
                    parameters.Add(new JsonObject { ["name"] = parameter.Groups[1].Value, ["in"] = "path", ["required"] = true, ["type"] = "string" });
                item[method.ToLowerInvariant()] = new JsonObject
                {
                    ["operationId"] = operationId,
                    ["summary"] = summary,
                    ["parameters"] = parameters,
                    ["security"] = scope == "" ? new JsonArray() : new JsonArray(new JsonObject { ["oauth2_implicit"] = new JsonArray(scope) }),
                    ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "Successful invocation" } },
                };
            }
            paths[route.Template] = item;
        }

        var scopes = new JsonObject();
        foreach (var (scope, description) in Scopes) scopes[scope] = description;
        return ApiResponse.Ok(new JsonObject
        {
            ["swagger"] = "2.0",
            ["host"] = http.Host.ToString(),
            ["basePath"] = "/",
            ["schemes"] = new JsonArray(http.Scheme),
            ["info"] = new JsonObject { ["version"] = "v1", ["title"] = "Quay Frontend", ["description"] = "Emulated Quay API" },
            ["securityDefinitions"] = new JsonObject
            {
                ["oauth2_implicit"] = new JsonObject
                {
                    ["type"] = "oauth2",
                    ["flow"] = "implicit",
                    ["authorizationUrl"] = $"{http.Scheme}://{http.Host}/oauth/authorize",
                    ["scopes"] = scopes,
                },
            },
            ["paths"] = paths,
            ["definitions"] = new JsonObject(),
            ["tags"] = new JsonArray(),
        });
    }
}
