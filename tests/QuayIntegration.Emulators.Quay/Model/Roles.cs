namespace QuayIntegration.Emulators.Quay.Model;

/// <summary>A role on a repository, ordered so that a higher value implies the lower ones (admin ⊃ write ⊃ read).</summary>
public enum RepositoryRole { Read = 1, Write = 2, Admin = 3 }

/// <summary>A team's role in an organization, ordered the same way (admin ⊃ creator ⊃ member).</summary>
public enum TeamRole { Member = 1, Creator = 2, Admin = 3 }

public static class RoleNames
{
    public static string ToWire(this RepositoryRole role) => role switch
    {
        RepositoryRole.Read => "read",
        RepositoryRole.Write => "write",
        _ => "admin",
    };

    public static string ToWire(this TeamRole role) => role switch
    {
        TeamRole.Member => "member",
        TeamRole.Creator => "creator",
        _ => "admin",
    };

    public static bool TryParseRepositoryRole(string? value, out RepositoryRole role)
    {
        switch (value)
        {
            case "read": role = RepositoryRole.Read; return true;
            case "write": role = RepositoryRole.Write; return true;
            case "admin": role = RepositoryRole.Admin; return true;
            default: role = default; return false;
        }
    }

    public static RepositoryRole? Max(RepositoryRole? a, RepositoryRole? b) =>
        a is null ? b : b is null ? a : (RepositoryRole)Math.Max((int)a, (int)b);

    public static RepositoryRole? Min(RepositoryRole? a, RepositoryRole? b) =>
        a is null || b is null ? null : (RepositoryRole)Math.Min((int)a, (int)b);
}
