using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>apimachinery's name validation rules and generateName.</summary>
public static partial class NameRules
{
    // Go's regexp: $ is the end of the text. .NET's $ also matches before a final newline, so \z.
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\z")] private static partial Regex Dns1123LabelRegex();
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z")] private static partial Regex Dns1123SubdomainRegex();
    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\\z")] private static partial Regex LabelValueRegex();
    [GeneratedRegex("^[-._a-zA-Z0-9]+\\z")] private static partial Regex ConfigKeyRegex();

    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string? ValidateDns1123Label(string name)
    {
        if (name.Length > 63) return "must be no more than 63 characters";
        if (!Dns1123LabelRegex().IsMatch(name))
            return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
        return null;
    }

    public static string? ValidateDns1123Subdomain(string name)
    {
        if (name.Length > 253) return "must be no more than 253 characters";
        if (!Dns1123SubdomainRegex().IsMatch(name))
            return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        return null;
    }

    /// <summary>Path segment names (used for resources like ImageStreamTag whose names contain ':').</summary>
    public static string? ValidatePathSegment(string name)
    {
        if (name is "." or "..") return $"may not be '{name}'";
        if (name.Contains('/') || name.Contains('%')) return "may not contain '/' or '%'";
        return null;
    }

    public static bool IsQualifiedName(string key)
    {
        var parts = key.Split('/');
        if (parts.Length > 2) return false;
        var name = parts[^1];
        if (parts.Length == 2 && (parts[0].Length == 0 || ValidateDns1123Subdomain(parts[0]) is not null)) return false;
        return name.Length is > 0 and <= 63 && LabelValueRegex().IsMatch(name);
    }

    public static bool IsLabelValue(string value) => value.Length == 0 || (value.Length <= 63 && LabelValueRegex().IsMatch(value));

    public static bool IsConfigKey(string key) => key.Length <= 253 && ConfigKeyRegex().IsMatch(key);

    /// <summary>generateName: prefix cut to 58 characters plus 5 random characters from apimachinery's alphabet.</summary>
    public static string Generate(string prefix)
    {
        if (prefix.Length > 58) prefix = prefix[..58];
        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++) suffix[i] = GenerateNameAlphabet[RandomNumberGenerator.GetInt32(GenerateNameAlphabet.Length)];
        return prefix + new string(suffix);
    }
}
