using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary><c>endpoints/api/user.py</c>: the current user.</summary>
public static class UserEndpoints
{
    public static void Map(RouteTable routes) =>
        routes.Add(RouteArea.QuayApi, "/api/v1/user/").Map("GET", GetCurrentUser);

    private static ApiResponse GetCurrentUser(ApiRequest request)
    {
        var caller = request.Caller;
        // Quay answers 401 (not 403) both for anonymous callers and for tokens lacking user:read and user:admin.
        if (caller.User is null || !caller.Has(QuayScopes.UserRead | QuayScopes.UserAdmin))
            throw QuayErrors.Problem(401, "invalid_token", "Requires authentication", new JsonObject { ["session_required"] = false });

        var store = request.Core.Store;
        var user = caller.User;
        var isUserAdmin = caller.Has(QuayScopes.UserAdmin);
        lock (store.Sync)
        {
            var organizations = new JsonArray();
            foreach (var org in store.Organizations.Values.OrderBy(o => o.Name, StringComparer.Ordinal))
            {
                var teamRole = Authorizer.TeamRoleOf(user.Name, org);
                if (teamRole is null) continue;
                var view = new JsonObject
                {
                    ["name"] = org.Name,
                    ["avatar"] = WireFormats.Avatar(org.Name, "org"),
                    ["can_create_repo"] = request.Core.Authorizer.CanCreateRepository(caller, org.Name),
                    ["public"] = false,
                };
                if (isUserAdmin)
                {
                    view["is_org_admin"] = request.Core.Authorizer.IsOrganizationAdmin(caller, org.Name);
                    view["preferred_namespace"] = false;
                }
                organizations.Add(view);
            }

            var body = new JsonObject
            {
                ["anonymous"] = false,
                ["username"] = user.Name,
                ["avatar"] = WireFormats.Avatar(user.Name, "user", user.Email),
                ["organizations"] = organizations,
            };
            if (isUserAdmin)
            {
                body["can_create_repo"] = true;
                body["is_me"] = true;
                body["verified"] = true;
                body["email"] = user.Email;
                body["logins"] = new JsonArray();
                body["invoice_email"] = false;
                body["invoice_email_address"] = null;
                body["preferred_namespace"] = false;
                body["tag_expiration_s"] = 1209600;
                body["prompts"] = new JsonArray();
                body["company"] = null;
                body["family_name"] = null;
                body["given_name"] = null;
                body["location"] = null;
                body["is_free_account"] = true;
                body["has_password_set"] = false;
            }
            if (user.IsSuperuser) body["super_user"] = true;
            return ApiResponse.Ok(body);
        }
    }
}
