using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Quay.Api;

/// <summary>Quay's date and avatar formats.</summary>
public static class WireFormats
{
    private static readonly string[] AvatarColors =
        ["#969696", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#1f77b4", "#17becf", "#9edae5"];

    /// <summary><c>format_date</c>: RFC 2822 with a literal <c>-0000</c> zone, e.g. <c>Thu, 21 Aug 2026 20:02:54 -0000</c>.</summary>
    public static string Rfc2822(DateTimeOffset value) =>
        value.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " -0000";

    public static JsonNode? Rfc2822OrNull(DateTimeOffset? value) => value is null ? null : JsonValue.Create(Rfc2822(value.Value));

    /// <summary><c>avatars/avatars.py</c>: <c>{name, hash, color, kind}</c>, the hash being an MD5 of the email or name.</summary>
    public static JsonObject Avatar(string name, string kind, string? email = null)
    {
        var hash = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(string.IsNullOrEmpty(email) ? name : email)));
        return new JsonObject
        {
            ["name"] = name,
            ["hash"] = hash,
            ["color"] = AvatarColors[Convert.ToInt32(hash[..2], 16) % AvatarColors.Length],
            ["kind"] = kind,
        };
    }
}
