namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Something a namespace's sync had to create or repair, in Quay or in the cluster. A namespace's first sync reports
/// all of them in its one Synced Event; later syncs report each repair as its own Event.
/// </summary>
public sealed record SyncChange(string Reason, string Message);
