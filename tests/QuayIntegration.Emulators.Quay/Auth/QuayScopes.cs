namespace QuayIntegration.Emulators.Quay.Auth;

/// <summary>The OAuth scopes of Quay (<c>auth/scopes.py</c>) that matter to the emulated endpoints.</summary>
[Flags]
public enum QuayScopes
{
    None = 0,
    RepoRead = 1 << 0,
    RepoWrite = 1 << 1,
    RepoAdmin = 1 << 2,
    RepoCreate = 1 << 3,
    UserRead = 1 << 4,
    UserAdmin = 1 << 5,
    OrgAdmin = 1 << 6,
    SuperUser = 1 << 7,

    /// <summary>What the real Quay Bridge Operator's token needs, plus <c>super:user</c>.</summary>
    All = RepoRead | RepoWrite | RepoAdmin | RepoCreate | UserRead | UserAdmin | OrgAdmin | SuperUser,
}

public static class QuayScopeNames
{
    private static readonly (QuayScopes Scope, string Name)[] Names =
    [
        (QuayScopes.RepoRead, "repo:read"), (QuayScopes.RepoWrite, "repo:write"), (QuayScopes.RepoAdmin, "repo:admin"),
        (QuayScopes.RepoCreate, "repo:create"), (QuayScopes.UserRead, "user:read"), (QuayScopes.UserAdmin, "user:admin"),
        (QuayScopes.OrgAdmin, "org:admin"), (QuayScopes.SuperUser, "super:user"),
    ];

    /// <summary>Parses Quay's space- or comma-separated scope string, e.g. <c>"org:admin repo:admin"</c>; unknown names are an error.</summary>
    public static QuayScopes Parse(string scopes)
    {
        var result = QuayScopes.None;
        foreach (var part in scopes.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = Array.Find(Names, n => n.Name == part);
            if (match.Name is null) throw new FormatException($"Unknown Quay scope '{part}'.");
            result |= match.Scope;
        }
        return result;
    }

    public static string Format(QuayScopes scopes) =>
        string.Join(' ', Names.Where(n => scopes.HasFlag(n.Scope)).Select(n => n.Name));
}
