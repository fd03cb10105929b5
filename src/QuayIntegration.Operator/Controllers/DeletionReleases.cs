using System.Collections.Concurrent;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// The records an integration being deleted under cleanupPolicy Delete has already released in this process, by
/// integration uid. Namespaces it still holds carry its finalizer; a record it does not hold (a namespace released
/// under Keep earlier, one deleted since) is still owed the policy the integration is deleted under, and nothing on the
/// record says whether that was done: the deletion waits until each has been released once. Kept in memory on purpose:
/// after a restart every such record is released once more (idempotent: nothing is left to delete, or what holds an
/// organization back is reported again), so a lost entry costs a few calls, never an obligation.
/// </summary>
public sealed class DeletionReleases
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _byIntegration = new(StringComparer.Ordinal);

    /// <summary>The record of <paramref name="ns"/> was released under the integration with uid <paramref name="integrationUid"/>, being deleted.</summary>
    public void Released(string integrationUid, string ns) =>
        _byIntegration.GetOrAdd(integrationUid, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[ns] = 0;

    public bool WasReleased(string integrationUid, string ns) =>
        _byIntegration.TryGetValue(integrationUid, out var released) && released.ContainsKey(ns);

    /// <summary>The integration is gone: nothing of it is needed any more.</summary>
    public void Forget(string integrationUid) => _byIntegration.TryRemove(integrationUid, out _);
}
