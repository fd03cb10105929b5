using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Organizations the namespace used before (the organization prefix or cluster ID changed, quayHostname moved to
/// another Quay, or the namespace moved to another QuayIntegration): never forgotten. With cleanupPolicy Delete (of the
/// integration that reaches their Quay) what the operator created in them is removed at once, unless another
/// integration's cleanupPolicy Keep kept the organization when the namespace left it (<see cref="OrganizationRecord.KeptBy"/>);
/// with Keep it stays, is listed in the namespace's status, and is removed when the namespace is deleted. Coming back
/// to an earlier name finds its entry again, so the operator's own organization is never taken for someone else's.
/// </summary>
public sealed class FormerOrganizationsStep(OrganizationCleanup cleanup)
{
    public async Task RunAsync(NamespaceWork work, CancellationToken ct)
    {
        // Each on its own: one that Quay refuses to clean (the operator's user no longer one of its owners) is reported,
        // and stays on record, while the namespace's own organization and Secrets are still brought in step.
        foreach (var entry in work.Record.Organizations.Where(o => o != work.Entry && !o.HoldsNothing()).ToList())
            await Isolation.RunAsync(work, $"former organization {entry.Name} on {entry.Host}", async () => await SettleAsync(work, entry, ct));
        // Entries of organizations that hold nothing of the operator's (found ones, emptied) are of no further use, once
        // Quay confirms it: a robot or repository made just before a crash is in Quay with the operator's mark and on no
        // record, and forgetting the organization would forget it for good. Such a find is settled as any former
        // organization. One that cannot be read now (its Quay down, the operator's user removed from it) stays on
        // record, listed, and is read again at the next sync; the sync itself goes on.
        foreach (var empty in work.Record.Organizations.Where(o => o != work.Entry && o.HoldsNothing()).ToList())
        {
            bool holdsNothing;
            try
            {
                holdsNothing = await OrganizationCleanup.HoldsNothingInQuayAsync(work, empty, ct);
            }
            catch (QuayOperationException e) when (!ct.IsCancellationRequested)
            {
                work.Kept.Add($"former organization {empty.Name} on {empty.Host}: not read for what the operator may have made in it ({e.Message}); kept on record until it can be");
                continue;
            }
            if (holdsNothing) work.Record.RemoveOrganization(empty);
            else if (!empty.HoldsNothing())
                await Isolation.RunAsync(work, $"former organization {empty.Name} on {empty.Host}", async () => await SettleAsync(work, empty, ct));
        }
    }

    /// <summary>What the operator created in a former organization: removed under cleanupPolicy Delete, else kept and listed.</summary>
    private async Task<bool> SettleAsync(NamespaceWork work, OrganizationRecord entry, CancellationToken ct)
    {
        var reach = work.IntegrationFor(entry.Host);
        // The policy here is that of the integration reaching the organization's Quay, which may not be the keeper's.
        if (OrganizationCleanup.KeptByAnother(entry, reach?.Name) is { } keptByAnother)
            await cleanup.KeepAsync(work, entry, keptByAnother + "; removed with the namespace", ct);
        else if (reach?.Config?.DeleteOrganizationsOnCleanup == true)
            await cleanup.RemoveAsync(work, entry, $"the namespace now maps to {work.Organization} (cleanupPolicy Delete)", ct);
        else if (reach?.Client is not null)
            await cleanup.KeepAsync(work, entry, "former organization; removed with the namespace", ct);
        else
            // Nothing could remove it, now or with the namespace, until an integration with credentials reaches that Quay again.
            await cleanup.KeepAsync(work, entry, "former organization; no QuayIntegration with credentials for that Quay, so it stays until one reaches it", ct);
        return true;
    }
}
