using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Auth;

/// <summary>
/// Quay's permission model (<c>auth/permissions.py</c>): roles come from team membership and repository permissions,
/// and are capped by the token's scopes. Must be used with <see cref="QuayStore.Sync"/> held.
/// </summary>
public sealed class Authorizer(QuayStore store)
{
    /// <summary>With FEATURE_SUPERUSERS_FULL_ACCESS and the <c>super:user</c> scope a superuser bypasses org and repo checks.</summary>
    public bool IsFullAccessSuperuser(Caller caller) =>
        store.SuperusersFullAccess && caller.User is { IsSuperuser: true } && caller.Has(QuayScopes.SuperUser);

    /// <summary>The highest team role the caller holds in <paramref name="org"/>, capped by scope (SCOPE_MAX_TEAM_ROLES).</summary>
    public TeamRole? OrganizationRole(Caller caller, Organization org)
    {
        if (caller.User is null) return null;
        TeamRole? cap = caller.Has(QuayScopes.OrgAdmin) ? TeamRole.Admin
            : caller.Has(QuayScopes.RepoCreate) ? TeamRole.Creator
            : null;
        if (cap is null) return null;
        var held = TeamRoleOf(caller.User.Name, org);
        return held is null ? null : (TeamRole)Math.Min((int)held, (int)cap);
    }

    /// <summary>The uncapped team role of a user in an org (what the org page shows as membership).</summary>
    public static TeamRole? TeamRoleOf(string username, Organization org)
    {
        TeamRole? best = null;
        foreach (var team in org.Teams.Values)
            if (team.Members.Contains(username) && (best is null || team.Role > best)) best = team.Role;
        return best;
    }

    public bool IsOrganizationAdmin(Caller caller, string orgName)
    {
        if (IsFullAccessSuperuser(caller)) return true;
        var org = store.FindOrganization(orgName);
        return org is not null && OrganizationRole(caller, org) == TeamRole.Admin;
    }

    public bool IsOrganizationMember(Caller caller, string orgName)
    {
        if (IsFullAccessSuperuser(caller)) return true;
        var org = store.FindOrganization(orgName);
        return org is not null && OrganizationRole(caller, org) is not null;
    }

    /// <summary>CreateRepositoryPermission: org admin or creator team, or the caller's own user namespace.</summary>
    public bool CanCreateRepository(Caller caller, string ns)
    {
        if (caller.User is null) return false;
        if (IsFullAccessSuperuser(caller)) return true;
        if (caller.User.Name == ns) return caller.Has(QuayScopes.RepoCreate | QuayScopes.OrgAdmin);
        var org = store.FindOrganization(ns);
        return org is not null && OrganizationRole(caller, org) >= TeamRole.Creator;
    }

    /// <summary>The maximum repository role the token's repo scopes allow (SCOPE_MAX_REPO_ROLES).</summary>
    private static RepositoryRole? RepositoryScopeCap(Caller caller) =>
        caller.Has(QuayScopes.RepoAdmin) ? RepositoryRole.Admin
        : caller.Has(QuayScopes.RepoWrite) ? RepositoryRole.Write
        : caller.Has(QuayScopes.RepoRead) ? RepositoryRole.Read
        : null;

    /// <summary>
    /// Namespace-wide repository admin: the caller's own namespace, or an org team with role admin, with a repo scope.
    /// This is what turns a missing repository into 404 (or a 204 DELETE) instead of 403.
    /// </summary>
    public bool HasNamespaceWideAccess(Caller caller, string ns) =>
        IsFullAccessSuperuser(caller) || NamespaceWideRole(caller, ns) is not null;

    private RepositoryRole? NamespaceWideRole(Caller caller, string ns)
    {
        if (caller.User is null) return null;
        var cap = RepositoryScopeCap(caller);
        if (cap is null) return null;
        if (caller.User.Name == ns && !caller.User.IsRobot) return cap;
        var org = store.FindOrganization(ns);
        if (org is null) return null;
        return TeamRoleOf(caller.User.Name, org) == TeamRole.Admin ? cap : null;
    }

    /// <summary>The caller's effective role on a repository (null = none), including public read access for anyone.</summary>
    public RepositoryRole? RepositoryRoleOf(Caller caller, string ns, Repository? repo)
    {
        if (IsFullAccessSuperuser(caller)) return RepositoryRole.Admin;
        RepositoryRole? role = null;
        if (caller.User is not null)
        {
            RepositoryRole? granted = NamespaceWideRole(caller, ns);
            if (repo is not null)
            {
                granted = RoleNames.Max(granted, RoleNames.Min(GrantedRole(caller.User.Name, repo), RepositoryScopeCap(caller)));
            }
            role = granted;
        }
        if (repo is { IsPublic: true }) role = RoleNames.Max(role, RepositoryRole.Read);
        return role;
    }

    /// <summary>Explicit user permission and permissions of the user's teams, uncapped.</summary>
    private RepositoryRole? GrantedRole(string username, Repository repo)
    {
        RepositoryRole? role = repo.UserPermissions.TryGetValue(username, out var direct) ? direct : null;
        if (repo.TeamPermissions.Count > 0 && store.FindOrganization(repo.Namespace) is { } org)
        {
            foreach (var (teamName, teamRole) in repo.TeamPermissions)
                if (org.Teams.TryGetValue(teamName, out var team) && team.Members.Contains(username))
                    role = RoleNames.Max(role, teamRole);
        }
        return role;
    }
}
