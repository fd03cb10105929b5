using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary>
/// <c>endpoints/api/organization.py</c> <c>OrganizationApplications</c> and <c>OrganizationApplicationResource</c>:
/// an organization's OAuth applications (<c>data/model/oauth.py</c>). Scope <c>org:admin</c>, organization admin only.
/// </summary>
public static class ApplicationEndpoints
{
    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/applications").Map("GET", List).Map("POST", Create);
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}/applications/{client_id}")
            .Map("GET", Get).Map("PUT", Update).Map("DELETE", Delete);
    }

    /// <summary>
    /// AdministerOrganizationPermission (or a full-access superuser) first, then the organization lookup: a missing
    /// organization fails the permission check (403) for everyone but a full-access superuser, who gets 404.
    /// </summary>
    private static Organization RequireAdmin(ApiRequest request)
    {
        var orgName = request["orgname"];
        if (!request.Core.Authorizer.IsOrganizationAdmin(request.Caller, orgName))
            throw QuayErrors.Unauthorized(request.Caller.User is not null);
        return request.Core.Store.FindOrganization(orgName) ?? throw QuayErrors.NotFound();
    }

    /// <summary><c>lookup_application(org, client_id)</c>: only this organization's applications; otherwise 404.</summary>
    private static OAuthApplication Find(Organization org, string clientId) =>
        org.Applications.Find(a => a.ClientId == clientId) ?? throw QuayErrors.NotFound();

    /// <summary>app_view's is_admin: the caller's own admin role in the organization (a superuser's bypass does not count).</summary>
    private static JsonObject View(ApiRequest request, Organization org, OAuthApplication application) =>
        Views.Application(application, request.Core.Authorizer.OrganizationRole(request.Caller, org) == TeamRole.Admin);

    private static ApiResponse List(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            var list = new JsonArray(org.Applications.Select(a => (JsonNode)View(request, org, a)).ToArray());
            return ApiResponse.Ok(new JsonObject { ["applications"] = list });
        }
    }

    /// <summary>
    /// The <c>NewApp</c> schema is checked before the permission; 200 (not 201) with the view; names are not unique, so
    /// every POST inserts a new application.
    /// </summary>
    private static ApiResponse Create(ApiRequest request)
    {
        var body = request.RequireJsonObject();
        var name = Schema.RequiredString(body, "name");
        var redirectUri = Schema.OptionalString(body, "redirect_uri");
        var applicationUri = Schema.OptionalString(body, "application_uri");
        var description = Schema.OptionalString(body, "description");
        var avatarEmail = Schema.OptionalString(body, "avatar_email");

        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            var application = QuayStore.CreateApplication(org, name, applicationUri ?? "", redirectUri ?? "", description ?? "",
                avatarEmail, request.Caller.User?.Name);
            return ApiResponse.Ok(View(request, org, application));
        }
    }

    private static ApiResponse Get(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            return ApiResponse.Ok(View(request, org, Find(org, request["client_id"])));
        }
    }

    /// <summary>
    /// <c>UpdateApp</c> requires name, redirect_uri and application_uri; a missing description becomes "" and a missing
    /// avatar_email null (the PUT replaces them, it does not merge).
    /// </summary>
    private static ApiResponse Update(ApiRequest request)
    {
        var body = request.RequireJsonObject();
        var name = Schema.RequiredString(body, "name");
        var redirectUri = Schema.RequiredString(body, "redirect_uri");
        var applicationUri = Schema.RequiredString(body, "application_uri");
        var description = Schema.OptionalString(body, "description");
        var avatarEmail = Schema.OptionalString(body, "avatar_email");

        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            var application = Find(org, request["client_id"]);
            application.Name = name;
            application.ApplicationUri = applicationUri;
            application.RedirectUri = redirectUri;
            application.Description = description ?? "";
            application.AvatarEmail = avatarEmail;
            return ApiResponse.Ok(View(request, org, application));
        }
    }

    private static ApiResponse Delete(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var org = RequireAdmin(request);
            if (org.Applications.RemoveAll(a => a.ClientId == request["client_id"]) == 0) throw QuayErrors.NotFound();
        }
        return ApiResponse.NoContent();
    }
}
