using System.Text.RegularExpressions;

namespace QuayIntegration.Emulators.Quay.Model;

/// <summary>Quay's name rules (<c>util/validation.py</c>, <c>util/names.py</c>), with Quay's own failure texts.</summary>
public static partial class NameRules
{
    public const string NamespacePattern = "^([a-z0-9]+(?:[._-][a-z0-9]+)*)$";

    [GeneratedRegex(NamespacePattern)]
    private static partial Regex NamespaceRegex();

    // Extended repository names (FEATURE_EXTENDED_REPOSITORY_NAMES, on by default): path components separated by '/'.
    [GeneratedRegex(@"^(?=.{0,255}$)[a-z0-9][\.a-z0-9_-]*(?:\/[a-z0-9][\.a-z0-9_-]*)*$")]
    private static partial Regex RepositoryRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagRegex();

    /// <summary>Validates an organization, user or robot short name; <paramref name="issue"/> is Quay's reason text.</summary>
    public static bool IsValidNamespace(string name, out string issue)
    {
        if (!NamespaceRegex().IsMatch(name))
        {
            issue = "Namespace must match expression " + NamespacePattern;
            return false;
        }
        if (name.Length is < 2 or > 255)
        {
            issue = "Namespace must be between 2 and 255 characters in length";
            return false;
        }
        issue = "";
        return true;
    }

    public static bool IsValidRepository(string name) => name.Length >= 1 && RepositoryRegex().IsMatch(name);

    public static bool IsValidTag(string name) => TagRegex().IsMatch(name);

    public static string RobotFullName(string orgName, string shortName) => orgName + "+" + shortName;
}
