using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

public enum IntegrationMode
{
    /// <summary>The QuayIntegration is invalid, its Secret is missing, or Quay does not accept the token: its namespaces wait.</summary>
    NotReady,
    /// <summary>Configured, Quay reachable and the token accepted: the namespaces it selects are synced.</summary>
    Active,
    /// <summary>The QuayIntegration is being deleted: its namespaces are released (organizations deleted if cleanupPolicy=Delete).</summary>
    Deleting,
}

/// <summary>One QuayIntegration as its reconciler last judged it; what the namespace reconciler acts under.</summary>
public sealed record IntegrationSnapshot(
    string Name,
    IntegrationMode Mode,
    QuayIntegrationResource Resource,
    IntegrationConfig? Config,
    QuayClient? Client,
    string Reason)
{
    /// <summary>
    /// Why it is not ready, as a condition reason (<c>CredentialsSecretNotFound</c>, <c>InvalidToken</c>, …): a code, not
    /// <see cref="Reason"/>'s text, which may change on every check (an outage's time, an error's wording).
    /// </summary>
    public string? Cause { get; init; }

    /// <summary>
    /// Changes whenever its namespaces must be looked at again (mode, configuration, selection, credentials), and when
    /// the cause they wait for changes, so what they say of it follows.
    /// </summary>
    public string Fingerprint =>
        $"{Name}|{Mode}|{Cause}|{Config?.DesiredStateFingerprint}|{Join(Config?.Allowlist)}|{Join(Config?.Denylist)}|{Config?.NamespaceSelector.Text}|" +
        $"{Config?.DeleteRepositories}|{Config?.DeleteOrganizationsOnCleanup}|{Config?.DriftCheckInterval}|{Config?.TokenRotationInterval}|" +
        $"{Client?.Connection.Fingerprint}";

    /// <summary>Whether it selects namespaces now: configured and not being deleted.</summary>
    public bool Selects => Mode != IntegrationMode.Deleting && Config is not null;

    private static string Join(IEnumerable<string>? names) => names is null ? "" : string.Join(',', names.Order());
}

/// <summary>
/// Every QuayIntegration as judged by the QuayIntegration reconciler's last pass. Until that first pass (<see cref="Known"/>
/// false) nothing can be concluded: "no integration" must not be mistaken for "not read yet", or a restart would
/// release every namespace.
/// </summary>
public sealed class IntegrationSet
{
    public static readonly IntegrationSet Unknown = new(false, []);

    public IntegrationSet(bool known, IReadOnlyList<IntegrationSnapshot> all)
    {
        Known = known;
        All = all;
        Fingerprint = $"{known}#" + string.Join('#', all.Select(i => i.Fingerprint));
    }

    public bool Known { get; }

    /// <summary>Oldest first (creation time, then name): the order conflicts are judged in.</summary>
    public IReadOnlyList<IntegrationSnapshot> All { get; }

    public string Fingerprint { get; }

    public IntegrationSnapshot? Get(string? name) => name is null ? null : All.FirstOrDefault(i => i.Name == name);
}

/// <summary>The current <see cref="IntegrationSet"/>, with a notification when it changes meaningfully.</summary>
public sealed class IntegrationState
{
    private volatile IntegrationSet _current = IntegrationSet.Unknown;

    public IntegrationSet Current => _current;

    /// <summary>Raised (outside any lock) when the fingerprint of the set changed.</summary>
    public Signal Changed { get; } = new("integration state changed");

    public void Publish(IntegrationSet next)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        if (previous.Fingerprint != next.Fingerprint) Changed.Raise();
    }
}
