namespace QuayIntegration.Emulators.Quay.Model;

/// <summary>SQL <c>LIKE '&lt;prefix&gt;%'</c> as MySQL/Postgres ILIKE evaluate it: case-insensitive, '_' matches any one character.</summary>
internal static class SqlLike
{
    public static bool Matches(string value, string prefix)
    {
        if (value.Length < prefix.Length) return false;
        for (var i = 0; i < prefix.Length; i++)
            if (prefix[i] != '_' && char.ToLowerInvariant(prefix[i]) != char.ToLowerInvariant(value[i])) return false;
        return true;
    }
}
