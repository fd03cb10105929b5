using System.Text.RegularExpressions;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// The naming rules a Build output has to meet, in one place: OpenShift's for an ImageStreamTag (namespace, ImageStream
/// name, tag) and the Docker reference grammar (distribution/reference) for the DockerImage the webhook writes. The
/// webhook rewrites only outputs that pass the first and writes only references that pass the second.
/// </summary>
public static partial class ImageReferenceGrammar
{
    public const int MaxTagLength = 128;
    public const int MaxNamespaceLength = 63;
    /// <summary>An object name's limit; an ImageStream name is one.</summary>
    public const int MaxImageStreamNameLength = 253;
    /// <summary>distribution/reference's NameTotalLengthMax: host and path, without the tag.</summary>
    public const int MaxRepositoryLength = 255;

    public const string TagRule = "letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 characters";
    public const string ImageStreamNameRule = "lower-case letters and digits, separated by single '.', '_' or '-', at most 253 characters";
    public const string NamespaceRule = "a DNS label: lower-case letters, digits and '-', at most 63 characters";

    // Docker tag: [\w][\w.-]{0,127}, spelled out in ASCII (\w would admit any Unicode letter).
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    // OpenShift's ImageStream name: a path segment matching the repository name component (single separators).
    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ImageStreamNamePattern();

    [GeneratedRegex("^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamespacePattern();

    // distribution/reference: domain[:port]/component(/component)*:tag, components [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.
    [GeneratedRegex(
        @"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?" +
        @"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();

    public static bool IsValidTag(string tag) => TagPattern().IsMatch(tag);

    public static bool IsValidImageStreamName(string name) =>
        name.Length <= MaxImageStreamNameLength && ImageStreamNamePattern().IsMatch(name);

    public static bool IsValidNamespace(string name) => name.Length <= MaxNamespaceLength && NamespacePattern().IsMatch(name);

    /// <summary>A tagged Docker reference <c>host[:port]/path:tag</c> (no digest): what a Build's DockerImage output may be.</summary>
    public static bool IsValidTaggedReference(string repository, string tag) =>
        repository.Length <= MaxRepositoryLength && RepositoryPattern().IsMatch(repository) && IsValidTag(tag);
}
