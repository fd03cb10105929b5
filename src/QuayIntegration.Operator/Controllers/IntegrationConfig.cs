using System.Text.RegularExpressions;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers;

/// <summary>A QuayIntegration spec with defaults applied and every value checked.</summary>
public sealed partial record IntegrationConfig(
    Uri QuayUrl,
    string ClusterId,
    string OrganizationPrefix,
    string CredentialsNamespace,
    string CredentialsName,
    string CredentialsKey,
    ConfigMapKeyReference? CaBundle,
    bool Insecure,
    bool ScheduledImageStreamImport,
    IReadOnlyCollection<string> Allowlist,
    IReadOnlyCollection<string> Denylist,
    IReadOnlyList<ServiceAccountRole> ServiceAccounts,
    bool DeleteRepositories,
    bool DeleteOrganizationsOnCleanup,
    TimeSpan DriftCheckInterval,
    TimeSpan? TokenRotationInterval = null,
    NamespaceSelector? Selector = null)
{
    /// <summary>Bounds of spec.driftCheckInterval: checked often enough to matter, and never so rarely that time arithmetic overflows.</summary>
    public static readonly (TimeSpan Min, TimeSpan Max) DriftCheckBounds = (TimeSpan.FromSeconds(1), TimeSpan.FromHours(24));

    /// <summary>Bounds of spec.robotTokenRotationInterval (a year at most).</summary>
    public static readonly (TimeSpan Min, TimeSpan Max) TokenRotationBounds = (TimeSpan.FromSeconds(10), TimeSpan.FromDays(365));

    public static readonly IReadOnlyList<ServiceAccountRole> DefaultServiceAccounts =
    [
        new() { Name = "builder", Role = "write" },
        new() { Name = "default", Role = "read" },
        new() { Name = "deployer", Role = "read" },
    ];

    /// <summary>The longest name of a Kubernetes object (a DNS subdomain), which a robot Secret's name must fit.</summary>
    private const int MaxObjectName = 253;

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ClusterIdPattern();

    /// <summary>
    /// Whether images are imported from Quay with <c>importPolicy.insecure</c>: with spec.insecureRegistry, and always
    /// for a Quay reached over plain HTTP, which openshift-apiserver only tries for an insecure import (a secure one
    /// asks for HTTPS and fails, however the nodes' registry configuration lets the builds push).
    /// </summary>
    public bool ImportsInsecure => Insecure || QuayUrl.Scheme == Uri.UriSchemeHttp;

    /// <summary>Whether <paramref name="clusterId"/> is one a QuayIntegration may have: a lowercase DNS label of at most 40 characters.</summary>
    public static bool IsValidClusterId(string clusterId) => clusterId.Length <= 40 && ClusterIdPattern().IsMatch(clusterId);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ServiceAccountPattern();

    /// <summary>Applies defaults and validates; errors say what to fix, field by field.</summary>
    public static IntegrationConfig? Parse(QuayIntegrationSpec spec, out List<string> errors)
    {
        errors = [];
        Uri? url = null;
        if (string.IsNullOrWhiteSpace(spec.QuayHostname))
            errors.Add("spec.quayHostname is required (for example https://quay.example.com)");
        else if (!Uri.TryCreate(spec.QuayHostname.Trim(), UriKind.Absolute, out url) || url.Scheme is not ("https" or "http"))
            errors.Add($"spec.quayHostname '{spec.QuayHostname}' is not an http(s) URL (for example https://quay.example.com)");
        else if (url.AbsolutePath != "/" || url.Query.Length > 0 || url.Fragment.Length > 0)
            errors.Add($"spec.quayHostname '{spec.QuayHostname}' must be the Quay base URL without a path");
        else
            url = new Uri(url.GetLeftPart(UriPartial.Authority) + "/");

        var clusterId = string.IsNullOrEmpty(spec.ClusterId) ? "openshift" : spec.ClusterId;
        if (!IsValidClusterId(clusterId))
            errors.Add($"spec.clusterID '{clusterId}' must be a lowercase DNS label of at most 40 characters");

        var prefix = string.IsNullOrEmpty(spec.OrganizationPrefix) ? clusterId : spec.OrganizationPrefix;
        if (!QuayNames.IsValidNamespace(prefix))
            errors.Add($"organization prefix '{prefix}' is not a valid Quay name (lowercase letters and digits joined by single '.', '_' or '-')");

        var secret = spec.CredentialsSecret;
        if (secret is null || string.IsNullOrEmpty(secret.Namespace) || string.IsNullOrEmpty(secret.Name))
            errors.Add("spec.credentialsSecret.namespace and .name are required");

        var accounts = spec.ServiceAccounts is { Count: > 0 } list ? list : DefaultServiceAccounts;
        foreach (var sa in accounts)
        {
            if (!ServiceAccountPattern().IsMatch(sa.Name)) errors.Add($"spec.serviceAccounts: '{sa.Name}' is not a service account name");
            else if (QuayNames.SecretNameFor(sa.Name, clusterId).Length > MaxObjectName)
                errors.Add($"spec.serviceAccounts: '{sa.Name[..20]}…' ({sa.Name.Length} characters) is too long: its Secret {sa.Name[..20]}…-quay-{clusterId} would exceed Kubernetes' {MaxObjectName} characters");
            if (sa.Role is not ("read" or "write" or "admin")) errors.Add($"spec.serviceAccounts: role '{sa.Role}' of '{sa.Name}' must be read, write or admin");
        }
        foreach (var dup in accounts.GroupBy(a => a.Name).Where(g => g.Count() > 1))
            errors.Add($"spec.serviceAccounts lists '{dup.Key}' more than once");

        var drift = Duration("spec.driftCheckInterval", spec.DriftCheckInterval, DriftCheckBounds, errors) ?? TimeSpan.FromMinutes(10);
        var rotation = Duration("spec.robotTokenRotationInterval", spec.RobotTokenRotationInterval, TokenRotationBounds, errors);

        if (spec.RepositoryDeletionPolicy is not (null or "Keep" or "Delete"))
            errors.Add($"spec.repositoryDeletionPolicy '{spec.RepositoryDeletionPolicy}' must be Keep or Delete");
        if (spec.CleanupPolicy is not (null or "Keep" or "Delete"))
            errors.Add($"spec.cleanupPolicy '{spec.CleanupPolicy}' must be Keep or Delete");
        if (spec.CaBundle is { } ca && (string.IsNullOrEmpty(ca.Namespace) || string.IsNullOrEmpty(ca.Name)))
            errors.Add("spec.caBundle.namespace and .name are required when caBundle is set");
        var selector = NamespaceSelector.Parse(spec.NamespaceSelector, errors);

        if (errors.Count > 0) return null;
        return new IntegrationConfig(
            url!, clusterId, prefix.ToLowerInvariant(), secret!.Namespace!, secret.Name!,
            string.IsNullOrEmpty(secret.Key) ? "token" : secret.Key,
            spec.CaBundle, spec.InsecureRegistry ?? false, spec.ScheduledImageStreamImport ?? false,
            (spec.AllowlistNamespaces ?? []).ToHashSet(), (spec.DenylistNamespaces ?? []).ToHashSet(),
            accounts.Select(a => new ServiceAccountRole { Name = a.Name, Role = a.Role }).ToList(),
            spec.RepositoryDeletionPolicy == "Delete", spec.CleanupPolicy == "Delete", drift, rotation, selector);
    }

    /// <summary>A Go duration within bounds; null when absent (or wrong, with the error added).</summary>
    private static TimeSpan? Duration(string field, string? text, (TimeSpan Min, TimeSpan Max) bounds, List<string> errors)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!GoDuration.TryParse(text, out var value))
        {
            errors.Add($"{field} '{text}' is not a duration (for example 10m or 1h30m)");
            return null;
        }
        if (value >= bounds.Min && value <= bounds.Max) return value;
        errors.Add($"{field} '{text}' must be between {GoDuration.Format(bounds.Min)} and {GoDuration.Format(bounds.Max)}");
        return null;
    }

    /// <summary>Which namespaces this integration selects by their labels (every one when spec.namespaceSelector is absent).</summary>
    public NamespaceSelector NamespaceSelector => Selector ?? NamespaceSelector.Everything;

    /// <summary>host[:port] of Quay, as in image references and docker config "auths" keys.</summary>
    public string RegistryHost { get; } = QuayConnection.RegistryHostOf(QuayUrl);

    /// <summary>
    /// Identifies everything that changes what a namespace should look like in Quay or the cluster. Computed once per
    /// configuration, so the verification records of thousands of namespaces share one string.
    /// </summary>
    public string DesiredStateFingerprint { get; } =
        string.Join('|', QuayUrl, ClusterId, OrganizationPrefix, string.Join(',', ServiceAccounts.Select(a => $"{a.Name}={a.Role}")));
}
