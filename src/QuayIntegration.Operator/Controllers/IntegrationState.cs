using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

public enum IntegrationMode
{
    /// <summary>No QuayIntegration exists: nothing is synced and our finalizers are released.</summary>
    None,
    /// <summary>More than one QuayIntegration exists: nothing destructive is done until only one remains.</summary>
    Conflict,
    /// <summary>The QuayIntegration is invalid, its Secret is missing, or Quay does not accept the token: namespaces wait.</summary>
    NotReady,
    /// <summary>Configured, Quay reachable and the token accepted: namespaces are synced.</summary>
    Active,
    /// <summary>The QuayIntegration is being deleted: finalizers are released (and organizations deleted if cleanupPolicy=Delete).</summary>
    Deleting,
}

/// <summary>What the namespace and ImageStream reconcilers act on, published by the QuayIntegration reconciler.</summary>
public sealed record IntegrationSnapshot(
    IntegrationMode Mode,
    QuayIntegrationResource? Resource,
    IntegrationConfig? Config,
    QuayClient? Client,
    string Reason)
{
    public static readonly IntegrationSnapshot Initial = new(IntegrationMode.NotReady, null, null, null, "starting");

    /// <summary>Changes whenever namespaces must be looked at again (mode, configuration, credentials).</summary>
    public string Fingerprint =>
        $"{Mode}|{Config?.DesiredStateFingerprint}|{Join(Config?.Allowlist)}|{Join(Config?.Denylist)}|{Config?.DeleteRepositories}|" +
        $"{Config?.DeleteOrganizationsOnCleanup}|{Config?.DriftCheckInterval}|{Config?.TokenRotationInterval}|{Client?.Connection.Fingerprint}";

    private static string Join(IEnumerable<string>? names) => names is null ? "" : string.Join(',', names.Order());
}

/// <summary>The current <see cref="IntegrationSnapshot"/>, with a notification when it changes meaningfully.</summary>
public sealed class IntegrationState
{
    private volatile IntegrationSnapshot _current = IntegrationSnapshot.Initial;

    public IntegrationSnapshot Current => _current;

    /// <summary>Raised (outside any lock) when the fingerprint of the snapshot changed.</summary>
    public Signal Changed { get; } = new("integration state changed");

    public void Publish(IntegrationSnapshot next)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        if (previous.Fingerprint != next.Fingerprint) Changed.Raise();
    }
}
