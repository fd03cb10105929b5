using k8s.Models;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>The status a QuayNamespace shows (<c>kubectl get qns</c>): where the namespace stands, true at each write.</summary>
public static class NamespaceReport
{
    /// <summary>Status lists are bounded: thousands of kept repositories would make the object large for nothing.</summary>
    private const int MaxListed = 20;

    /// <summary>In step when last written, or waiting since (Pending with a verification: it was synced before it waited).</summary>
    public static bool SyncedBefore(QuayNamespaceStatus? status) =>
        status is { Phase: NamespacePhase.Synced } or { Phase: NamespacePhase.Pending, LastVerified: not null };

    /// <summary>Whether the record says the namespace was set up under the integration (and is not failing).</summary>
    public static bool SetUpBefore(QuayNamespaceResource? record, string? integration) =>
        record?.Spec?.Integration == integration && SyncedBefore(record?.Status);

    /// <summary>
    /// The error a namespace's record says it was failing with under <paramref name="integration"/>, or null: what is
    /// known of it after a restart or a change of leader, until it is tried again. A conflict the integration alone is
    /// in (its organization another cluster's) counts as failing too, as it did before the restart; one between
    /// several integrations names them all, and is counted by neither.
    /// </summary>
    public static string? RecordedFailure(QuayNamespaceResource? record, string? integration) =>
        record?.Spec?.Integration == integration && record?.Status is { LastError: { } error } status
        && (status.Phase == NamespacePhase.Failing || status.Phase == NamespacePhase.Conflict && status.Integration == integration) ? error : null;

    public static QuayNamespaceStatus Build(QuayNamespaceStatus? previous, NamespaceWork work, string phase, string? error, DateTimeOffset? verifiedAt)
    {
        var kept = work.Kept.Distinct().ToList();
        var status = new QuayNamespaceStatus
        {
            Organization = work.Entry?.Name ?? previous?.Organization,
            Origin = work.Entry is { } entry ? (entry.IsOwned() ? Origin.Created : Origin.Found) : previous?.Origin,
            Integration = work.IntegrationName ?? previous?.Integration,
            Phase = phase,
            LastVerified = verifiedAt is { } at ? KubeTime.ToSecond(at) : previous?.LastVerified,
            LastError = StatusConditions.Bounded(error),
            Kept = Listed(kept, kept.Count),
            KeptCount = kept.Count == 0 ? null : kept.Count,
            TokensRotatedAt = work.TokensRotatedAt is { } rotated ? KubeTime.ToSecond(rotated) : previous?.TokensRotatedAt,
            RotationRequestHandled = work.RotationRequestHandled ?? previous?.RotationRequestHandled,
            RotationInProgress = TokenRotationStep.Unfinished(work, previous),
            Conditions = previous?.Conditions?.Select(Copy).ToList() ?? [],
        };
        var (value, message) = phase switch
        {
            NamespacePhase.Synced => (true, $"In step with Quay organization {status.Organization}{Unlinked(work)}"),
            NamespacePhase.Failing => (false, error ?? "failing"),
            NamespacePhase.Pending => (false, error ?? "waiting"),
            NamespacePhase.Released => (false, "No longer managed by the operator"),
            NamespacePhase.Conflict => (false, error ?? "conflict"),
            _ => (false, "The namespace is gone"),
        };
        StatusConditions.Set(status.Conditions, "Synced", value, phase, message, null, KubeTime.ToSecond(work.Now));
        return status;
    }

    /// <summary>
    /// The service accounts of the matrix that do not exist: their robot Secrets are written but linked to nothing, so
    /// no pod pulls with them, and nothing else would say so after the first sync's Event (someone deleted one, or it
    /// was never made). Said while it lasts, in the Synced condition's message.
    /// </summary>
    private static string Unlinked(NamespaceWork work) =>
        work.MissingServiceAccounts.Count == 0 ? ""
        : $"; service account{(work.MissingServiceAccounts.Count == 1 ? "" : "s")} {string.Join(", ", work.MissingServiceAccounts.Order(StringComparer.Ordinal))} " +
          $"of the integration's spec.serviceAccounts do{(work.MissingServiceAccounts.Count == 1 ? "es" : "")} not exist: {(work.MissingServiceAccounts.Count == 1 ? "its" : "their")} " +
          "robot Secrets are written and are linked once they exist";

    /// <summary>
    /// A reconcile that failed part-way: what it found kept so far is added to what the status listed before, since the
    /// steps that would have found the rest did not run. (Built as a completed reconcile's list, it hid the kept
    /// repositories and former organizations for as long as the failure lasted.) Something listed before and gone
    /// since stays listed until a reconcile completes: when in doubt, kept. What this reconcile found is listed first;
    /// the count is the least the two lists prove (the earlier one's unlisted entries may be among today's), so it
    /// stays the same over failing retries.
    /// </summary>
    public static QuayNamespaceStatus Failing(QuayNamespaceStatus? previous, NamespaceWork work, string error, DateTimeOffset? verifiedAt)
    {
        var status = Build(previous, work, NamespacePhase.Failing, error, verifiedAt);
        var listedBefore = (previous?.Kept ?? []).Where(k => !k.StartsWith(MoreMark, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var unlistedBefore = Math.Max(0, (previous?.KeptCount ?? 0) - listedBefore.Count);
        var foundNow = work.Kept.Distinct().ToList();
        var kept = foundNow.Concat(listedBefore).Distinct().ToList();
        var total = listedBefore.Count + Math.Max(foundNow.Count(k => !listedBefore.Contains(k)), unlistedBefore);
        status.Kept = Listed(kept, total);
        status.KeptCount = total == 0 ? null : total;
        return status;
    }

    private const string MoreMark = "… and ";

    /// <summary>The first <see cref="MaxListed"/> of what is kept, and how many more there are of <paramref name="total"/>.</summary>
    private static List<string>? Listed(List<string> kept, int total)
    {
        if (total == 0) return null;
        var listed = kept.Take(MaxListed).ToList();
        if (total > listed.Count) listed.Add($"{MoreMark}{total - listed.Count} more");
        return listed;
    }

    /// <summary>Selected by several integrations (or its organization is another cluster's): what stands is kept, nothing changes.</summary>
    public static QuayNamespaceStatus Conflict(QuayNamespaceStatus? previous, string integrations, string reason, DateTimeOffset now) =>
        Halted(previous, NamespacePhase.Conflict, integrations, reason, now);

    /// <summary>
    /// Nothing can be done for now (its QuayIntegration is not ready, or a move waits for the next one): what stands is
    /// kept, and the status stops saying it is in step, since a change made meanwhile is not carried out.
    /// </summary>
    public static QuayNamespaceStatus Waiting(QuayNamespaceStatus? previous, string reason, DateTimeOffset now) =>
        Halted(previous, NamespacePhase.Pending, previous?.Integration, reason, now);

    private static QuayNamespaceStatus Halted(QuayNamespaceStatus? previous, string phase, string? integrations, string reason, DateTimeOffset now)
    {
        var status = Copy(previous);
        status.Integration = integrations;
        status.Phase = phase;
        status.LastError = StatusConditions.Bounded(reason);
        StatusConditions.Set(status.Conditions!, "Synced", false, phase, reason, null, KubeTime.ToSecond(now));
        return status;
    }

    /// <summary>
    /// The status as it stands, with what this reconcile's rotation did, written as soon as the rotation step is done:
    /// the rotation lives only in the status, so whatever stops the reconcile after it (a failure, a conflict retried at
    /// once without a report, a crash) must not make the next one regenerate the tokens again. Null when the step
    /// decided nothing (no rotation was due, none was left unfinished).
    /// </summary>
    public static QuayNamespaceStatus? WithRotation(QuayNamespaceStatus? previous, NamespaceWork work)
    {
        if (!work.RotationInProgressDecided) return null;
        if (previous is null) return Build(null, work, NamespacePhase.Pending, null, null);
        // Everything else as it stands: the end of the reconcile writes its outcome moments later. (A phase of its own
        // here read as "synced before" to a restart after a failing namespace's rotation, showed the kept list only
        // as far as the reconcile had come, and flipped Synced at every scheduled rotation.)
        var status = Copy(previous);
        if (work.TokensRotatedAt is { } rotated) status.TokensRotatedAt = KubeTime.ToSecond(rotated);
        status.RotationRequestHandled = work.RotationRequestHandled ?? previous.RotationRequestHandled;
        status.RotationInProgress = TokenRotationStep.Unfinished(work, previous);
        return status;
    }

    /// <summary>The status as it stands, its conditions copied so that setting one leaves the stored status alone.</summary>
    private static QuayNamespaceStatus Copy(QuayNamespaceStatus? previous) => new()
    {
        Organization = previous?.Organization,
        Origin = previous?.Origin,
        Integration = previous?.Integration,
        Phase = previous?.Phase,
        LastVerified = previous?.LastVerified,
        LastError = previous?.LastError,
        Kept = previous?.Kept,
        KeptCount = previous?.KeptCount,
        TokensRotatedAt = previous?.TokensRotatedAt,
        RotationRequestHandled = previous?.RotationRequestHandled,
        RotationInProgress = previous?.RotationInProgress,
        Conditions = previous?.Conditions?.Select(Copy).ToList() ?? [],
    };

    private static V1Condition Copy(V1Condition c) => new()
    {
        Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message, ObservedGeneration = c.ObservedGeneration,
        LastTransitionTime = c.LastTransitionTime,
    };

}
