using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary><c>endpoints/api/organization.py</c>: create, get, change and delete organizations.</summary>
public static partial class OrganizationEndpoints
{
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailRegex();

    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/").Map("POST", Create);
        routes.Add(RouteArea.QuayApi, "/api/v1/organization/{orgname}").Map("GET", Get).Map("PUT", Update).Map("DELETE", Delete);
    }

    /// <summary>Checks in the order of docs/quay-api.md, "Endpoint details", POST /api/v1/organization/.</summary>
    private static ApiResponse Create(ApiRequest request)
    {
        var caller = request.Caller;
        if (caller.User is null || !caller.Has(QuayScopes.UserAdmin)) throw QuayErrors.Unauthorized(caller.User is not null);

        var body = request.RequireJsonObject();
        var name = Schema.RequiredString(body, "name");
        var email = Schema.OptionalString(body, "contact_email") ?? Schema.OptionalString(body, "email");
        Schema.OptionalString(body, "recaptcha_response");

        var store = request.Core.Store;
        lock (store.Sync)
        {
            // allow_if_superuser: a superuser whose token holds super:user.
            if (store.OrganizationCreationForSuperusersOnly && !(caller.User.IsSuperuser && caller.Has(QuayScopes.SuperUser)))
                throw QuayErrors.Unauthorized(authenticated: true);
            if (store.FindUser(name) is not null || store.FindOrganization(name) is not null)
                throw QuayErrors.InvalidRequest("A user or organization with this name already exists");
            if (store.OrganizationEmailRequired && string.IsNullOrEmpty(email))
                throw QuayErrors.InvalidRequest("Email address is required");
            if (!string.IsNullOrEmpty(email) && !EmailRegex().IsMatch(email))
                throw QuayErrors.InvalidRequest("Invalid email address");
            if (!NameRules.IsValidNamespace(name, out var issue))
                throw QuayErrors.InvalidRequest($"Invalid namespace {name}: {issue}");
            if (store.IsAwaitingGarbageCollection(name, DateTimeOffset.UtcNow))
                throw QuayErrors.InvalidRequest("Username is not available");
            // Those releases keep the email on the organization's own row, unique among users and organizations alike.
            if (!string.IsNullOrEmpty(email) && (store.Users.Values.Any(u => !u.IsRobot && u.Email == email)
                                                 || store.OrganizationEmailRequired && store.Organizations.Values.Any(o => o.Email == email)))
                throw QuayErrors.InvalidRequest("Email has already been used: " + email);

            store.CreateOrganization(name, email ?? "", caller.User);
        }
        return ApiResponse.Json(201, JsonValue.Create("Created"));
    }

    /// <summary>Anyone may read an organization, even anonymously; members and admins see more.</summary>
    private static ApiResponse Get(ApiRequest request)
    {
        var store = request.Core.Store;
        var authorizer = request.Core.Authorizer;
        var orgName = request["orgname"];
        lock (store.Sync)
        {
            var org = store.FindOrganization(orgName) ?? throw QuayErrors.NotFound();
            // org_view asks AdministerOrganizationPermission and OrganizationMemberPermission themselves, which only
            // team membership grants: a superuser, even with full access, is neither unless it is in a team (and so
            // is not shown the email). The teams are shown to members and to superusers.
            var role = authorizer.OrganizationRole(request.Caller, org);
            var isAdmin = role == TeamRole.Admin;
            var isMember = role is not null;
            var showTeams = isMember || authorizer.IsFullAccessSuperuser(request.Caller);
            var body = new JsonObject
            {
                ["name"] = org.Name,
                ["email"] = isAdmin ? org.Email : "",
                ["avatar"] = WireFormats.Avatar(org.Name, "org"),
                ["is_admin"] = isAdmin,
                ["is_member"] = isMember,
            };
            if (showTeams)
            {
                var teams = new JsonObject();
                var ordered = new JsonArray();
                foreach (var team in org.Teams.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
                {
                    teams[team.Name] = TeamView(team, org, store);
                    ordered.Add(team.Name);
                }
                body["teams"] = teams;
                body["ordered_teams"] = ordered;
            }
            if (isAdmin)
            {
                body["invoice_email"] = false;
                body["invoice_email_address"] = null;
                body["tag_expiration_s"] = 1209600;
                body["is_free_account"] = true;
            }
            return ApiResponse.Ok(body);
        }
    }

    private static JsonObject TeamView(Team team, Organization org, QuayStore store) => new()
    {
        ["name"] = team.Name,
        ["description"] = team.Description,
        ["role"] = team.Role.ToWire(),
        ["avatar"] = WireFormats.Avatar(team.Name, "team"),
        ["can_view"] = true,
        ["repo_count"] = store.RepositoriesIn(org.Name).Count(r => r.TeamPermissions.ContainsKey(team.Name)),
        ["member_count"] = team.Members.Count,
        ["is_synced"] = false,
    };

    /// <summary>
    /// ChangeOrganizationDetails: an administrator of the organization (org:admin) changes its email, which no user may
    /// have already; the invoice and tag expiration settings are accepted and not kept. Answers the organization as GET
    /// does. 403 also for a missing organization, as for DELETE.
    /// </summary>
    private static ApiResponse Update(ApiRequest request)
    {
        var store = request.Core.Store;
        var orgName = request["orgname"];
        // require_scope(org:admin), then the body's schema (UpdateOrg), then the organization's permission.
        if (!request.Caller.Has(QuayScopes.OrgAdmin)) throw QuayErrors.Unauthorized(request.Caller.User is not null);
        var body = request.RequireJsonObject();
        var email = Schema.OptionalString(body, "email");
        Schema.OptionalNullableString(body, "invoice_email_address");
        lock (store.Sync)
        {
            if (!request.Core.Authorizer.IsOrganizationAdmin(request.Caller, orgName))
                throw QuayErrors.Unauthorized(request.Caller.User is not null);
            var org = store.FindOrganization(orgName) ?? throw QuayErrors.NotFound();
            if (email is not null && email != org.Email)
            {
                if (store.Users.Values.Any(u => !u.IsRobot && u.Email == email)) throw QuayErrors.InvalidRequest("E-mail address already used");
                org.Email = email;
            }
        }
        return Get(request);
    }

    /// <summary>403 also for a missing organization: the permission check cannot tell them apart.</summary>
    private static ApiResponse Delete(ApiRequest request)
    {
        var store = request.Core.Store;
        var orgName = request["orgname"];
        lock (store.Sync)
        {
            if (!request.Core.Authorizer.IsOrganizationAdmin(request.Caller, orgName))
                throw QuayErrors.Unauthorized(request.Caller.User is not null);
            var org = store.FindOrganization(orgName) ?? throw QuayErrors.NotFound();
            store.DeleteOrganization(org, DateTimeOffset.UtcNow);
        }
        return ApiResponse.NoContent();
    }
}
