using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Quay's naming rules (util/validation.py) and the operator's deterministic mapping of Kubernetes names onto them.
///
/// Organizations and robot short names must match <c>^[a-z0-9]+([._-][a-z0-9]+)*$</c> (2–255 characters): no doubled
/// separators. Kubernetes accepts some names Quay rejects, so:
/// <list type="bullet">
/// <item>Organization: <c>&lt;prefix&gt;_&lt;namespace&gt;</c>, lowercased, unchanged whenever Quay accepts it (the upstream
/// operator's name). A namespace is a DNS label (<c>[a-z0-9-]</c>), so the only thing Quay can reject is a run of two
/// or more hyphens; each such run of n hyphens becomes <c>.n.</c> (<c>a--b</c> → <c>a.2.b</c>). A namespace never
/// contains a dot, so mapped names can never equal an unmapped one, and the encoding can be decoded: collision-free.</item>
/// <item>Robot short name: the service account name, unchanged when valid. Service account names are DNS subdomains
/// (<c>[a-z0-9.-]</c>); a run of two or more separators becomes <c>_</c> + one letter per separator (<c>d</c> for a dot,
/// <c>h</c> for a hyphen) + <c>_</c> (<c>a--b</c> → <c>a_hh_b</c>), and a one-character name <c>x</c> becomes <c>x_sa</c>.
/// A service account name never contains <c>_</c>, so again no collision is possible.</item>
/// <item>When a full robot name (<c>org+short</c>) would exceed 255 characters the short name is cut and suffixed with
/// <c>_</c> and 12 hex characters of its SHA-256 (practically collision-free).</item>
/// </list>
/// The organization actually used is recorded on the namespace (annotation quay.redhat.com/organization).
/// </summary>
public static partial class QuayNames
{
    public const int MaxNamespaceLength = 255;

    [GeneratedRegex("^[a-z0-9]+(?:[._-][a-z0-9]+)*\\z")]
    private static partial Regex NamespacePattern();

    [GeneratedRegex("^(?=.{1,255}\\z)[a-z0-9][.a-z0-9_-]*(?:/[a-z0-9][.a-z0-9_-]*)*\\z")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("-{2,}")]
    private static partial Regex HyphenRuns();

    [GeneratedRegex("[.-]{2,}")]
    private static partial Regex SeparatorRuns();

    public static bool IsValidNamespace(string name) =>
        name.Length is >= 2 and <= MaxNamespaceLength && NamespacePattern().IsMatch(name);

    public static bool IsValidRobotShortName(string name) => IsValidNamespace(name);

    public static bool IsValidRepository(string name) => RepositoryPattern().IsMatch(name);

    /// <summary>The organization for a namespace: <c>&lt;prefix&gt;_&lt;namespace&gt;</c> lowercased, mapped if Quay would reject it.</summary>
    public static string OrganizationFor(string prefix, string kubernetesNamespace)
    {
        var plain = $"{prefix}_{kubernetesNamespace}".ToLowerInvariant();
        if (IsValidNamespace(plain)) return plain;
        var candidate = $"{prefix.ToLowerInvariant()}_{Mapped(kubernetesNamespace.ToLowerInvariant())}";
        if (!IsValidNamespace(candidate))
            throw new ArgumentException($"namespace '{kubernetesNamespace}' cannot be mapped to a Quay organization name (prefix '{prefix}')");
        return candidate;
    }

    /// <summary>
    /// Whether <paramref name="organization"/> is what <see cref="OrganizationFor"/> gives <paramref name="kubernetesNamespace"/>
    /// under some prefix. A namespace name has no underscore, plain or mapped, so the part after the last one is the
    /// namespace's whatever the prefix was.
    /// </summary>
    public static bool IsOrganizationNameOf(string organization, string kubernetesNamespace)
    {
        var separator = organization.LastIndexOf('_');
        if (separator <= 0) return false;
        var tail = organization[(separator + 1)..];
        var plain = kubernetesNamespace.ToLowerInvariant();
        return tail == plain || tail == Mapped(plain);
    }

    /// <summary>A lowercased namespace name with each run of hyphens as <c>.&lt;length&gt;.</c>, for a prefix Quay would refuse it under.</summary>
    private static string Mapped(string lowered) => HyphenRuns().Replace(lowered, m => $".{m.Length}.");

    /// <summary>The robot short name for a service account (see the class comment for the mapping).</summary>
    public static string RobotShortNameFor(string organization, string serviceAccount)
    {
        var name = serviceAccount.ToLowerInvariant();
        if (!IsValidRobotShortName(name))
        {
            name = SeparatorRuns().Replace(name, m =>
            {
                var sb = new StringBuilder("_");
                foreach (var c in m.Value) sb.Append(c == '.' ? 'd' : 'h');
                return sb.Append('_').ToString();
            });
            if (name.Length == 1) name += "_sa";
        }
        var maxShort = MaxNamespaceLength - organization.Length - 1;
        if (name.Length > maxShort)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(serviceAccount)))[..12];
            var keep = Math.Max(1, maxShort - 13);
            name = name[..keep].TrimEnd('.', '-', '_') + "_" + hash;
        }
        if (!IsValidRobotShortName(name))
            throw new ArgumentException($"service account '{serviceAccount}' cannot be mapped to a Quay robot name");
        return name;
    }

    public static string RobotFullName(string organization, string shortName) => $"{organization}+{shortName}";

    /// <summary>The short name of a robot given by its full name (<c>org+short</c>), as the robot routes take it.</summary>
    public static string RobotShortNameOf(string fullName) => fullName[(fullName.IndexOf('+') + 1)..];

    /// <summary>The domain of the organizations' contact emails: reserved (RFC 2606), so no mail is ever delivered.</summary>
    public const string OrganizationEmailDomain = "quay-integration.invalid";

    /// <summary>Quay keeps an email in a column of 255 characters.</summary>
    private const int MaxEmailLength = 255;

    /// <summary>
    /// The contact email sent with a new organization. Quay releases before organization contact emails refuse an
    /// organization without one whenever FEATURE_MAILING is on (Quay's default; the Quay Operator's base configuration
    /// turns it off) and keep it unique among all users and organizations: the organization's name makes it unique, cut
    /// and suffixed with 12 hex characters of its SHA-256 when it would not fit.
    /// </summary>
    public static string OrganizationEmailFor(string organization)
    {
        var maxLocal = MaxEmailLength - OrganizationEmailDomain.Length - 1;
        var local = organization;
        if (local.Length > maxLocal)
            local = local[..(maxLocal - 13)] + "_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(organization)))[..12];
        return $"{local}@{OrganizationEmailDomain}";
    }

    /// <summary>The full name of the robot of a service account in an organization.</summary>
    public static string RobotFullNameFor(string organization, string serviceAccount) =>
        RobotFullName(organization, RobotShortNameFor(organization, serviceAccount));

    /// <summary>The Secret holding a service account's robot credentials, as named by the upstream operator.</summary>
    public static string SecretNameFor(string serviceAccount, string clusterId) => $"{serviceAccount}-quay-{clusterId}";
}
