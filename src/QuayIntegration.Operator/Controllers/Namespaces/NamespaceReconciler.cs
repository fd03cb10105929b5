using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Keeps one namespace in step with Quay, comparing three things on every run: what should exist (the configuration
/// and the cluster), what exists (Quay, as last observed, and the cluster caches), and what this operator created (the
/// ownership record, a QuayNamespace named after the namespace). It creates what is missing, repairs what drifted,
/// removes what it created and no longer wants as the policies say, and never touches what it did not create.
///
/// <see cref="NamespaceIntent"/> decides what the namespace needs; a sync then runs its steps in order:
/// <list type="number">
/// <item>label the namespace <c>pending</c>; move ownership decided by earlier versions into the record;</item>
/// <item><see cref="OrganizationStep"/>: the organization exists and who made it is recorded (written ahead); in one taken
/// over from the Go operator, what that operator left is recorded once (<see cref="TakeoverInventory"/>);</item>
/// <item>save the record (unless all it gained is the organization just created, on record already as written
/// ahead), then the finalizer (<see cref="NamespaceClaim"/>);</item>
/// <item><see cref="RobotStep"/>, <see cref="TokenRotationStep"/>, <see cref="RepositoryStep"/>,
/// <see cref="FormerOrganizationsStep"/>, <see cref="CredentialStep"/>;</item>
/// <item>save the record (also after a failure: what was created must never be forgotten), mark the namespace
/// ready, write the status, the Events and the counts.</item>
/// </list>
/// Quay is read only at a drift check or when something it depends on changed; a reconcile in between works from the
/// observation and costs no Quay call when nothing changed.
/// </summary>
public sealed class NamespaceReconciler(
    ClusterCaches caches,
    OwnershipRecords records,
    QuayObservations observations,
    NamespaceScope scope,
    IntegrationState state,
    NamespaceSyncRegistry registry,
    DeletionReleases deletionReleases,
    NamespaceClaim claim,
    OrganizationStep organizationStep,
    RobotStep robotStep,
    TokenRotationStep tokenRotationStep,
    RepositoryStep repositoryStep,
    FormerOrganizationsStep formerOrganizationsStep,
    CredentialStep credentialStep,
    TakeoverInventory takeoverInventory,
    OrganizationCleanup cleanup,
    EventRecorder events,
    TimeProvider time,
    ILogger<NamespaceReconciler> log) : IReconciler
{
    /// <summary>A namespace that failed is looked at again this soon at the latest, whatever the backoff says.</summary>
    private static readonly TimeSpan MinimumRequeue = TimeSpan.FromSeconds(1);
    /// <summary>
    /// A failure that a retry normally clears (a conflict, an object changing under the write) is reported only once it
    /// has happened this many times in a row: one that keeps coming back is a failure like any other.
    /// </summary>
    private const int TransientFailuresBeforeReport = 3;

    /// <summary>
    /// The longest a rotation's status write may take after its reconcile was cancelled: well within the 5 s between a
    /// lost lease's renewal deadline (10 s) and another replica's takeover (15 s, <c>LeaderElector</c>).
    /// </summary>
    private static readonly TimeSpan RotationWriteBound = TimeSpan.FromSeconds(2);
    /// <summary>Namespaces whose last reconciles failed in a way a retry normally clears, and how many times in a row.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _transientStreaks = new(StringComparer.Ordinal);

    public string Name => "namespace";

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct)
    {
        var result = await ActAsync(key, ct);
        // Whatever ended without a failure (set up, waiting, in conflict, let go) ends a run of retried failures; a
        // reported one ends it in Failed.
        _transientStreaks.TryRemove(key.Name, out _);
        return result;
    }

    private async Task<ReconcileResult> ActAsync(ObjectKey key, CancellationToken ct)
    {
        var name = key.Name;
        var integrations = state.Current;
        var ns = claim.Get(key);
        await MakeAgainWhatWasLetGoAsync(name, ns, ct);
        var record = records.Draft(name);
        var intent = NamespaceIntent.Decide(ns, record, integrations, scope);
        if (intent.ForDeletedNamespace) ns = null; // the record's namespace is gone; the one of that name now is not touched
        ForgetSecretsOfAnEarlierNamespace(ns, record);
        using var logScope = log.BeginScope(new Dictionary<string, object> { ["namespace"] = name });
        switch (intent.Action)
        {
            case NamespaceAction.Nothing:
                Forget(name);
                return ReconcileResult.Done;
            case NamespaceAction.Wait:
                return await WaitAsync(name, ns, record, intent, ct);
            case NamespaceAction.Conflict:
                return await ConflictAsync(name, ns, record, intent, ct);
        }

        var work = new NamespaceWork
        {
            Name = name,
            Namespace = ns,
            Integration = intent.Integration,
            Integrations = integrations,
            Record = record,
            Markers = new OwnershipMarkers(ClusterIdentity(intent.Integration?.Config), intent.Integration?.Config?.ClusterId),
            Now = time.GetUtcNow(),
        };
        try
        {
            try
            {
                return intent.Action switch
                {
                    NamespaceAction.Sync => await SyncAsync(work, ct),
                    // A move: released by the integration it leaves, then at once synced by the one it joins.
                    NamespaceAction.Release when intent.MovesTo is not null => (await ReleaseAsync(work, intent.Reason, ct, intent.MovesTo)) with { RequeueAfter = TimeSpan.Zero },
                    NamespaceAction.Release => await ReleaseAsync(work, intent.Reason, ct),
                    _ => await TeardownAsync(work, intent.Reason, ct),
                };
            }
            catch (OrganizationOfAnotherClusterException e) when (!ct.IsCancellationRequested)
            {
                return await LeaveToOtherClusterAsync(work, e, ct);
            }
            // Every failure, not only the expected kinds: one that escaped (a timeout, a dropped connection, a bug) left the
            // namespace's status, the Events and the integration's counts saying all was well while every retry failed.
            // (The sync's own report of what failed inside it, already saved and told, only passes through.)
            catch (Exception e) when (!ct.IsCancellationRequested && !work.FailureReported)
            {
                if (e is QuayOperationException) work.QuayCallFailed = true;
                DistrustObservation(work);
                var dropped = await SaveAfterFailureAsync(work, ct);
                // A conflict is another writer's change: the retry starts from it at once, nobody needs to hear of it, unless
                // it keeps happening.
                var transient = dropped is null && (e is ReconcileException || e is KubeApiException { IsConflict: true })
                                && _transientStreaks.AddOrUpdate(work.Name, 1, (_, n) => n + 1) < TransientFailuresBeforeReport;
                // What was done before the failure is done (a repository deleted, an organization created): told now, as
                // the record no longer leaves it for a later pass to do, or to tell.
                ReportChanges(work, wasSynced: true, syncedNow: false, transient ? SecretsLeftTo.ImmediateRetry : SecretsLeftTo.FailureRetry);
                var message = FailureMessage(e) + (dropped is null ? "" : "; " + dropped.Message);
                if (!ExpectedFailures.Contains(e)) log.UnexpectedSyncFailure(work.Name, e);
                if (!transient) await WriteFailingStatusAsync(work, message, ct);
                Failed(work, message, transient, (dropped ?? e) switch
                {
                    QuayOperationException { Outcome: QuayOutcome.NameNotAvailableYet } => "OrganizationNameNotAvailable",
                    QuayOperationException => "QuaySyncFailed",
                    RecordFieldsDroppedException => "OwnershipRecordFieldsDropped",
                    _ => "ClusterUpdateFailed",
                });
                throw new ReconcileException(message, e);
            }
        }
        // Stopped (the operator stopping, its leadership lost) after Quay regenerated tokens, and not told yet (a failure
        // told it, unless the stop came during the failure's own report): the status records the rotation (written even
        // then, unless that write failed too), so no later reconcile knows to tell it. Told now, on its own: what else
        // the reconcile did is on record or found again by the next one.
        catch (Exception) when (ct.IsCancellationRequested && work.Rotated is { } rotated && work.Namespace is { } namespaceNow)
        {
            var told = TokenRotationStep.Told(rotated, work.SecretsInPlace, work.RotationRecorded ? SecretsLeftTo.AfterStop : SecretsLeftTo.AfterStopUnrecorded);
            events.Normal(namespaceNow, "RobotTokensRotated", told);
            log.NamespaceChanged("RobotTokensRotated", work.Name, told);
            throw;
        }
    }

    /// <summary>
    /// Secrets are recorded by name. A record naming another namespace uid was written for an earlier namespace of this
    /// name, and its Secrets went with that namespace: one of such a name now is someone else's, never to be taken
    /// over, reported as kept, or deleted as the operator's, unless it carries the operator's label (the namespace and
    /// its Secrets restored from a backup, under a new uid). (The record is saved by whatever the reconcile does next.)
    /// </summary>
    private void ForgetSecretsOfAnEarlierNamespace(V1Namespace? ns, OwnershipDraft record)
    {
        if (ns is null || record.Spec.Secrets is not { Count: > 0 } secrets || record.Spec.NamespaceUid is not { Length: > 0 } uid
            || string.Equals(uid, ns.Metadata.Uid, StringComparison.Ordinal))
            return;
        var labelled = secrets.Where(s => caches.Secrets.Get(ns.Metadata.Name, s.Name) is not null).ToList();
        record.Spec.Secrets = labelled.Count > 0 ? labelled : null;
    }

    private async Task<ReconcileResult> SyncAsync(NamespaceWork work, CancellationToken ct)
    {
        var config = work.Config!;
        string prefixOrganization;
        try
        {
            prefixOrganization = QuayNames.OrganizationFor(config.OrganizationPrefix, work.Name);
            LegacyOwnership.ForgetKeptUnder(work.Record, config.OrganizationPrefix);
            MapTo(work, LegacyOwnership.KeptOrganization(work.Record, work.Host, config.OrganizationPrefix) ?? prefixOrganization);
        }
        catch (ArgumentException e)
        {
            Failed(work, e.Message, transient: false, "InvalidName");
            return ReconcileResult.Done; // retrying cannot help; a configuration change enqueues the namespace again
        }
        // The first sync of a namespace is told in one Event; a restarted operator knows a namespace synced before from its status.
        var wasSynced = registry.Get(work.Name)?.Synced == true || NamespaceReport.SyncedBefore(work.Record.Stored?.Status);
        if (registry.Get(work.Name) is not { State: NamespaceState.Synced or NamespaceState.Failing } entry || entry.Integration != work.IntegrationName)
            CountWhileSyncing(work);

        await claim.MarkInScopeAsync(work, ct);
        work.Record.Spec.NamespaceUid = work.Namespace!.Metadata.Uid;
        work.Record.Spec.Released = null;
        work.Record.Spec.MovingTo = null;
        work.Record.Spec.Integration = work.IntegrationName;
        await ConfirmBeforeAdoptingAsync(work, ct);
        if (work.Namespace is null) throw new ReconcileException($"namespace {work.Name} is gone");
        if (LegacyOwnership.Adopt(work.Namespace, work.Record, work.Host, await takeoverInventory.GoOrganizationAsync(work, config, ct),
                prefixOrganization, config.OrganizationPrefix, out var ignored))
        {
            await records.SaveAsync(work.Record, hold: true, ct);
            // The Go operator's organization, kept under the prefix it was taken over with.
            if (LegacyOwnership.KeptOrganization(work.Record, work.Host, config.OrganizationPrefix) is { } kept) MapTo(work, kept);
        }
        if (ignored is not null) events.Warning(work.Namespace, "OwnershipAnnotationIgnored", ignored);
        await tokenRotationStep.DecideAsync(work, ct);
        await organizationStep.RunAsync(work, ct);
        // The namespace's own organization again: the policy of the integration acting for it governs it. Not when
        // another integration kept it and this one took it up under the same name (the same Quay and prefix): its
        // Delete would remove what the other kept, which goes with the namespace instead.
        if (work.Entry!.KeptBy == work.IntegrationName) work.Entry.KeptBy = null;
        await takeoverInventory.RecordAsync(work, work.Entry!, ct);
        if (TakeoverInventory.MakerUntold(work.Entry!)) work.Kept.Add(TakeoverInventory.UntoldMakerKept(work.Entry!));
        // Saved before the claim: the finalizer needs the record, and what was found or inherited must be on record
        // before anything is acted on. An organization created just now is on record already, written ahead as
        // Creating, which every reader takes as the operator's (a crash from here on ends in Created all the same), so
        // its Created waits for the record's write at the end: one write fewer for every new namespace.
        if (!work.OrganizationCreatedNow) await records.SaveAsync(work.Record, hold: true, ct);
        await claim.ClaimAsync(work, ct);

        await robotStep.RunAsync(work, ct);
        try
        {
            await tokenRotationStep.RunAsync(work, ct);
        }
        finally
        {
            if (NamespaceReport.WithRotation(work.Record.Stored?.Status, work) is { } rotation)
            {
                // Written even when the reconcile was cancelled (a stop, a lost lease) once Quay regenerated tokens, or the
                // next leader would regenerate them again; then within a bound shorter than the time between a lost
                // lease's last renewal deadline and another replica's takeover. Never in the way of what stopped the
                // step: a write that fails is logged, and the end of the reconcile (or of its failure) writes again.
                using var bound = new CancellationTokenSource();
                // The bound starts when the reconcile is cancelled, before the write or during it.
                await using (ct.Register(() => bound.CancelAfter(RotationWriteBound)))
                {
                    try
                    {
                        work.RotationRecorded = await records.SaveStatusAsync(work.Record, rotation, bound.Token);
                    }
                    catch (Exception e)
                    {
                        log.StatusNotWritten(work.Name, e.Message);
                    }
                }
            }
        }
        await repositoryStep.RunAsync(work, ct);
        await formerOrganizationsStep.RunAsync(work, ct);
        await credentialStep.RunAsync(work, ct);

        await records.SaveAsync(work.Record, hold: true, ct);
        await claim.MarkReadyAsync(work, ct);
        var error = work.Problems.Count == 0 ? null : string.Join("; ", work.Problems);
        await records.SaveStatusAsync(work.Record, NamespaceReport.Build(work.Record.Stored?.Status, work,
            error is null ? NamespacePhase.Synced : NamespacePhase.Failing, error, work.Observation!.VerifiedAt), ct);
        ReportChanges(work, wasSynced, syncedNow: error is null);
        if (error is not null)
        {
            DistrustObservation(work);
            Failed(work, error, transient: false, work.ProblemReason);
            throw new ReconcileException(error); // what did not fail is in place; the rest is retried with backoff
        }
        registry.Synced(work.Name, work.IntegrationName, work.Now, work.Integration!.Fingerprint);
        if (work.Verified) log.OrganizationVerified(work.Organization, work.Name);
        if (work.ObservationOutdated)
        {
            observations.Forget(work.Name);
            return ReconcileResult.After(TimeSpan.Zero);
        }
        var next = work.Observation.VerifiedAt + config.DriftCheckInterval - time.GetUtcNow();
        // A create of the operator's that may still land (a default permission's, an organization's being removed) is
        // looked for at the end of its grace, or as often as its removal asks.
        if (work.LookAgainWithin is { } sooner && sooner < next) next = sooner;
        return ReconcileResult.After(next > MinimumRequeue ? next : MinimumRequeue);
    }

    /// <summary>
    /// How the namespace counts until this first sync under its integration ends: as being set up, or checked again
    /// when its record says it was set up under this integration (the process restarted, or another replica led), or,
    /// when its record says it was failing under this integration, still as failing with the recorded error, which
    /// only this sync can clear.
    /// </summary>
    private void CountWhileSyncing(NamespaceWork work)
    {
        if (NamespaceReport.RecordedFailure(work.Record.Stored, work.IntegrationName) is { } recorded)
            registry.Failed(work.Name, work.IntegrationName, $"{recorded} (as last recorded; being tried again)", work.Now);
        else registry.Pending(work.Name, work.IntegrationName, NamespaceReport.SetUpBefore(work.Record.Stored, work.IntegrationName)
            ? "set up before; being checked again" : "being set up", work.Now);
    }

    /// <summary>
    /// Stops managing the namespace. With cleanupPolicy Delete (and a Quay to ask) what the operator created goes,
    /// Secrets included; otherwise everything stays and the record remembers it, released, for a namespace that comes
    /// back into scope or a policy changed later.
    /// </summary>
    /// <param name="movesTo">The integration the namespace moves to, when the release is the first half of a move.</param>
    private async Task<ReconcileResult> ReleaseAsync(NamespaceWork work, string why, CancellationToken ct, string? movesTo = null)
    {
        var wasManaged = work.Namespace?.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true;
        await AdoptLegacyAsync(work, ct);
        var remove = work.Config?.DeleteOrganizationsOnCleanup == true && work.Client is not null;
        var keptFor = (work.Integration, work.Config) switch
        {
            (null, _) => work.Record.Spec.Integration is { } gone ? $"QuayIntegration {gone} is gone; no QuayIntegration acts for it" : "no QuayIntegration acts for it",
            ({ } owner, null) => $"the configuration of QuayIntegration {owner.Name} cannot be read",
            (_, { DeleteOrganizationsOnCleanup: true }) => "cleanupPolicy Delete, but the QuayIntegration has no Quay credentials to act with",
            _ => "cleanupPolicy Keep",
        };
        foreach (var entry in work.Record.Organizations.ToList())
        {
            // Kept by another integration's cleanupPolicy Keep when the namespace left it: this one's policy does not
            // reach it, whatever it says (its Delete would break the other's promise). (With no integration acting,
            // nothing is removed, and keptFor says why.)
            if (work.Integration is not null && OrganizationCleanup.KeptByAnother(entry, work.IntegrationName) is { } keptByAnother)
                await cleanup.KeepAsync(work, entry, keptByAnother, ct);
            else if (remove) await cleanup.RemoveAsync(work, entry, $"{why} (cleanupPolicy Delete)", ct);
            else
            {
                await cleanup.KeepAsync(work, entry, keptFor, ct);
                // Kept by this integration's policy, from now on even where the namespace goes next: those on its own
                // Quay (one on another Quay is governed by the integration reaching it, as a former organization is).
                if (work.Config is { DeleteOrganizationsOnCleanup: false } config && entry.Host == config.RegistryHost && work.Record.Organizations.Contains(entry))
                    entry.KeptBy = work.IntegrationName;
            }
        }
        if (remove && work.Namespace is { Metadata.DeletionTimestamp: null })
        {
            await credentialStep.RemoveAllAsync(work, $"{why} (cleanupPolicy Delete)", ct);
            // A namespace let go is not looked at again: a Secret left now would stay, with a deleted robot's token, in
            // its service accounts. The release waits for it: what was done is told, the rest reported failing and retried.
            if (work.Problems.Count > 0) await ReportUnfinishedAsync(work, $"not released yet (cleanupPolicy Delete): {string.Join("; ", work.Problems)}", ct);
        }
        // A namespace being deleted counts as gone: its Secrets go with it, and its deletion was asked for while it was
        // managed, so what a policy kept is still owed to that policy (deleted by whichever integration acts for it next).
        var stays = work.Namespace is { Metadata.DeletionTimestamp: null };
        if (!remove && work.Record.Secrets.Count > 0 && stays)
            work.Kept.Add($"{work.Record.Secrets.Count} robot Secret(s) and their service account links ({keptFor})");
        if (!stays) work.Record.Spec.Secrets = null; // gone with the namespace

        // Only a namespace that stays is released; one gone (or going) keeps what its record says of how it went
        // (deleted while managed: what was kept by a policy is still owed to that policy, not to cleanupPolicy alone).
        // The first half of a move says where the namespace goes, until that integration syncs it: deleted in between
        // (the next integration cannot act yet), the namespace was deleted while managed.
        if (stays)
        {
            work.Record.Spec.Released = true;
            // A release under the deletion of the integration a moving namespace left keeps where it moves: the
            // integration it waits for may be unreadable now, and holds it once this one is gone (NamespaceIntent).
            work.Record.Spec.MovingTo = movesTo ?? (work.Integration is { Mode: IntegrationMode.Deleting } ? work.Record.Spec.MovingTo : null);
        }
        await FinishAndLetGoAsync(work, stays ? NamespacePhase.Released : NamespacePhase.NamespaceDeleted, ct);
        if (wasManaged) work.Changed("Released", $"Stopped managing the namespace: {why}");
        ReportChanges(work, wasSynced: true);
        Forget(work.Name);
        // Released under the deletion, unless a create of the operator's may still land (it is looked for until its
        // grace ends): the integration waits for that, or nothing would be left to delete an organization that appears.
        if (remove && work.Integration is { Mode: IntegrationMode.Deleting } deleting && work.LookAgainWithin is null)
            deletionReleases.Released(deleting.Resource.Metadata.Uid, work.Name);
        return LookAgainIfBlocked(work);
    }

    /// <summary>
    /// A release that could not finish: the record is saved (what was deleted is off it, what is left on it), what was
    /// done is told in Events, the failure in the status, an Event and the counts; then it is retried with backoff.
    /// </summary>
    private async Task ReportUnfinishedAsync(NamespaceWork work, string error, CancellationToken ct)
    {
        DistrustObservation(work);
        if (await SaveAfterFailureAsync(work, ct) is { } dropped) error += "; " + dropped.Message;
        // Every organization was removed or kept by then: the kept list is whole.
        await WriteFailingStatusAsync(work, error, ct, partWay: false);
        ReportChanges(work, wasSynced: true);
        Failed(work, error, transient: false, "ReleaseIncomplete");
        throw new ReconcileException(error);
    }

    /// <summary>The namespace is being deleted (or was, while the operator could not act): what the operator created for it goes.</summary>
    private async Task<ReconcileResult> TeardownAsync(NamespaceWork work, string why, CancellationToken ct)
    {
        await AdoptLegacyAsync(work, ct);
        foreach (var entry in work.Record.Organizations.ToList())
            await cleanup.RemoveAsync(work, entry, why, ct);
        work.Record.Spec.Secrets = null; // the namespace's content goes with it
        await FinishAndLetGoAsync(work, NamespacePhase.NamespaceDeleted, ct);
        ReportChanges(work, wasSynced: true);
        Forget(work.Name);
        return LookAgainIfBlocked(work);
    }

    /// <summary>
    /// Writes how the namespace ended up, and lets it go. A record left empty is deleted, so the namespace is released
    /// first, its organization annotations with it: a namespace held by the finalizer, or carrying them, with no record
    /// is read as set up by an earlier version (<see cref="LegacyOwnership"/>), and the organization they name, someone
    /// else's by then perhaps, would be recorded as the operator's; a release that fails (another writer changed the
    /// namespace) still finds the record, saved after the failure. (What an earlier version left on the namespace is in
    /// the record by now: a namespace no integration can read it for waits, <see cref="NamespaceIntent"/>.) A record
    /// that stays is saved before the namespace lets go.
    /// </summary>
    private async Task FinishAndLetGoAsync(NamespaceWork work, string phase, CancellationToken ct)
    {
        var forget = work.Record.IsEmpty;
        if (forget) await claim.ReleaseAsync(work, ct, forgetOrganization: true);
        await FinishRecordAsync(work, phase, ct);
        if (!forget) await claim.ReleaseAsync(work, ct);
    }

    /// <summary>An organization kept for someone else's content is deleted once that content is gone: looked at again at each drift interval.</summary>
    private static ReconcileResult LookAgainIfBlocked(NamespaceWork work)
    {
        if (!work.Blocked) return ReconcileResult.Done;
        var drift = work.Config?.DriftCheckInterval ?? TimeSpan.FromMinutes(10);
        return ReconcileResult.After(work.LookAgainWithin is { } sooner && sooner < drift ? sooner : drift);
    }

    /// <summary>An unmanaged namespace's record: deleted when it holds nothing any more, else saved without its finalizer, with a status saying what is kept.</summary>
    private async Task FinishRecordAsync(NamespaceWork work, string phase, CancellationToken ct)
    {
        if (work.Record.IsEmpty)
        {
            await records.DeleteAsync(work.Record, ct);
            return;
        }
        await records.SaveAsync(work.Record, hold: false, ct);
        await records.SaveStatusAsync(work.Record, NamespaceReport.Build(work.Record.Stored?.Status, work, phase, null, null), ct);
    }

    /// <summary>
    /// A record let go whose re-creation failed is made again first (<see cref="OwnershipRecords.MakeAgainWhatWasLetGoAsync"/>).
    /// No status can say it meanwhile (there is no record to hold one): a failure is a Warning Event on the namespace
    /// and a log line at each retry, and another record found under the name is told the same way.
    /// </summary>
    private async Task MakeAgainWhatWasLetGoAsync(string name, V1Namespace? ns, CancellationToken ct)
    {
        string? displaced;
        try
        {
            displaced = await records.MakeAgainWhatWasLetGoAsync(name, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Any failure: an API error, a timeout, a dropped connection; fields an older QuayNamespace schema does not
            // know are told as such.
            if (ns is not null)
                events.Warning(ns, e is RecordFieldsDroppedException ? "OwnershipRecordFieldsDropped" : "OwnershipRecordNotMadeAgain",
                    e is ReconcileException or RecordFieldsDroppedException ? e.Message :
                        $"the QuayNamespace {name}, deleted by hand while its namespace was managed and let go since, cannot be made again yet ({e.Message}); retrying");
            throw;
        }
        if (displaced is null) return;
        log.NamespaceNotSynced(name, "OwnershipRecordReplaced", displaced);
        if (ns is not null) events.Warning(ns, "OwnershipRecordReplaced", displaced);
    }

    /// <summary>
    /// After a failure, the record is saved all the same: nothing created before the failure may be forgotten. Nor does
    /// a failure let go of a record: one that holds its finalizer keeps it (a sync that failed before its claim, with
    /// the organization already written ahead; a teardown that failed half-way), since only a finished release or
    /// teardown may give the record up.
    /// </summary>
    /// <returns>
    /// The fields the API server dropped from the record as it was saved (an older QuayNamespace schema), to be told with
    /// the failure rather than behind it; null otherwise.
    /// </returns>
    private async Task<RecordFieldsDroppedException?> SaveAfterFailureAsync(NamespaceWork work, CancellationToken ct)
    {
        if (!work.Record.HasUnsavedChanges || ct.IsCancellationRequested) return null;
        try
        {
            var managed = work.Namespace?.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true && !work.Record.Released;
            await records.SaveAsync(work.Record, hold: managed || OwnershipRecords.Holds(work.Record), ct);
        }
        catch (RecordFieldsDroppedException e)
        {
            return e;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // The entries written ahead (and the marks in Quay) still tell the next run what the operator created.
            log.RecordNotSavedAfterFailure(work.Name, e.Message);
        }
        return null;
    }

    /// <summary>
    /// Nothing can be done now (the integration is not ready, two integrations exist, the project is not set up by
    /// OpenShift yet): counted as pending, and said once in an Event on the namespace. Whatever ends the wait enqueues
    /// the namespace again.
    /// </summary>
    private async Task<ReconcileResult> WaitAsync(string key, V1Namespace? ns, OwnershipDraft record, NamespaceIntent intent, CancellationToken ct)
    {
        var reason = intent.Reason;
        var previous = registry.Get(key);
        // Released already, in no integration's scope, and not being deleted (a teardown may be owed then): it waits
        // only in case its integration, once it can act again, has a policy that asks for more (cleanupPolicy Delete).
        // Nothing is being set up, so it is neither counted as pending nor told it will be synced later; an outage of
        // the integration that released hundreds of namespaces wrote an Event on each.
        var releasedAlready = !intent.InScope && record.Spec.Released == true && ns is { Metadata.DeletionTimestamp: null };
        if (releasedAlready) registry.Remove(key);
        else registry.Pending(key, intent.Integration?.Name, reason, time.GetUtcNow());
        if (intent.InScope && ns is not null)
            await claim.MarkInScopeAsync(ns, ct);
        // Said once per reason, and only where the namespace is not set up already: an outage must not write an Event
        // on every namespace. A project waiting for its annotations is OpenShift's business of a few seconds. A namespace
        // someone deleted is told why it stays, set up or not.
        var projectNotReady = reason.StartsWith("the project", StringComparison.Ordinal);
        var setUp = NamespaceReport.SyncedBefore(record.Stored?.Status) && ns?.Metadata.DeletionTimestamp is null;
        if (ns is not null && !releasedAlready && !projectNotReady && !setUp && previous?.Message != reason)
            events.Normal(ns, "Waiting", $"Not synced with Quay for now: {reason}");
        // A status that says the namespace is in step would be false from now on: a change made meanwhile (a service
        // account out of the matrix, the namespace deleted) waits too. So would one that says it is released, once it is
        // back in an integration's scope (its builds are held from then on). Written once per reason. (One failing or in
        // a conflict, with two integrations or another cluster's organization, says it is not in step already, and keeps
        // its error, which only a sync can clear.) Not while the operator has yet to judge the QuayIntegrations, a
        // moment at every start: every namespace would be written twice for nothing.
        if (!intent.BeforeIntegrationsAreKnown && record.Stored?.Status is { } status
            && (status.Phase is NamespacePhase.Synced or NamespacePhase.Pending || (intent.InScope && status.Phase == NamespacePhase.Released))
            && !(status.Phase == NamespacePhase.Pending && status.LastError == StatusConditions.Bounded(reason)))
            await records.SaveStatusAsync(record, NamespaceReport.Waiting(status, reason, time.GetUtcNow()), ct);
        log.NamespaceWaits(key, reason);
        return ReconcileResult.Done;
    }

    /// <summary>
    /// Selected by more than one QuayIntegration: neither touches it (no Quay call, no change to the namespace), both
    /// count it in their status, and the namespace says why in an Event and in its QuayNamespace. Removing the overlap
    /// (a label, a selector, a list) enqueues the namespace again.
    /// </summary>
    private async Task<ReconcileResult> ConflictAsync(string name, V1Namespace? ns, OwnershipDraft record, NamespaceIntent intent, CancellationToken ct)
    {
        var previous = registry.Get(name);
        registry.Conflict(name, intent.Reason, time.GetUtcNow());
        if (ns is not null && previous?.Message != intent.Reason) events.Warning(ns, "IntegrationConflict", intent.Reason);
        await records.SaveStatusAsync(record, NamespaceReport.Conflict(record.Stored?.Status, string.Join(", ", intent.Conflicting ?? []), intent.Reason,
            time.GetUtcNow()), ct);
        log.NamespaceConflict(name, intent.Reason);
        return ReconcileResult.Done;
    }

    /// <summary>
    /// The organization is another cluster's: nothing more is done in it (no robot, permission, repository or Secret),
    /// the namespace is reported failing with the other cluster named (status, Event, the integration's counts), and it
    /// is looked at again at the drift interval, in case the other cluster's organization goes away.
    /// </summary>
    private async Task<ReconcileResult> LeaveToOtherClusterAsync(NamespaceWork work, OrganizationOfAnotherClusterException e, CancellationToken ct)
    {
        var dropped = await SaveAfterFailureAsync(work, ct);
        if (dropped is not null) log.RecordNotSavedAfterFailure(work.Name, dropped.Message);
        ReportChanges(work, wasSynced: true, syncedNow: false);
        if (work.Record.Stored is not null)
            await records.SaveStatusAsync(work.Record, NamespaceReport.Conflict(work.Record.Stored.Status, work.IntegrationName ?? "", e.Message, work.Now), ct);
        Failed(work, e.Message, transient: false, "OrganizationOfAnotherCluster");
        return ReconcileResult.After(work.Config?.DriftCheckInterval ?? TimeSpan.FromMinutes(10));
    }

    /// <param name="partWay">Whether the reconcile stopped part-way, before the steps that find what is kept: the
    /// status then keeps listing what it listed before (<see cref="NamespaceReport.Failing"/>).</param>
    private async Task WriteFailingStatusAsync(NamespaceWork work, string message, CancellationToken ct, bool partWay = true)
    {
        if (work.Record.Stored is null) return;
        try
        {
            var previous = work.Record.Stored.Status;
            await records.SaveStatusAsync(work.Record, partWay
                ? NamespaceReport.Failing(previous, work, message, work.Observation?.VerifiedAt)
                : NamespaceReport.Build(previous, work, NamespacePhase.Failing, message, work.Observation?.VerifiedAt), ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.StatusNotWritten(work.Name, e.Message);
        }
    }

    /// <summary>What the status, the Event and the log say of a failure.</summary>
    private static string FailureMessage(Exception e) => e switch
    {
        KubeApiException k => $"the API server refused a request: {k.Message}",
        QuayOperationException or ReconcileException or RecordFieldsDroppedException or TimeoutException => e.Message,
        HttpRequestException or IOException => $"the API server could not be reached: {e.Message}",
        _ => $"unexpected {e.GetType().Name}: {e.Message}",
    };

    private void Failed(NamespaceWork work, string message, bool transient, string reason)
    {
        if (transient)
        {
            // Not counted as failing either: a conflict retried at once would flip the integration's Ready to False and back.
            log.NamespaceRetrying(work.Name, message);
            return;
        }
        registry.Failed(work.Name, work.IntegrationName, message, work.Now);
        _transientStreaks.TryRemove(work.Name, out _);
        work.FailureReported = true;
        if (work.Namespace is not null) events.Warning(work.Namespace, reason, message);
        log.NamespaceNotSynced(work.Name, reason, message);
    }

    /// <summary>
    /// Tells what the reconcile changed so far, once: a failure after this tells only what came after. The first sync
    /// is one Event that says everything (what happened to the organization also on its own); later, each repair is an
    /// Event of its own.
    /// </summary>
    private void ReportChanges(NamespaceWork work, bool wasSynced, bool syncedNow = true, SecretsLeftTo rest = SecretsLeftTo.FailureRetry)
    {
        if (work.Rotated is { } rotated) work.Changed("RobotTokensRotated", TokenRotationStep.Told(rotated, work.SecretsInPlace, rest));
        work.Rotated = null;
        Tell(work, wasSynced, syncedNow);
        work.Changes.Clear();
    }

    private void Tell(NamespaceWork work, bool wasSynced, bool syncedNow)
    {
        if (work.Namespace is not { } ns)
        {
            // No namespace to put an Event on (gone, or one made since under its name): a log line each.
            foreach (var change in work.Changes) log.NamespaceChanged(change.Reason, work.Name, change.Message);
            return;
        }
        if (wasSynced || !syncedNow)
        {
            // Later changes are rare and each one matters (a repair, a rotation): an Event and a log line each. So are
            // those of a first sync that failed part-way: "synced" is told only once it is.
            foreach (var change in work.Changes)
            {
                events.Normal(ns, change.Reason, change.Message);
                log.NamespaceChanged(change.Reason, work.Name, change.Message);
            }
            return;
        }
        foreach (var change in work.Changes.Where(c => c.Reason.StartsWith("Organization", StringComparison.Ordinal)))
            events.Normal(ns, change.Reason, change.Message);
        var done = string.Join("; ", work.Changes.Select(c => c.Message));
        var waiting = work.MissingServiceAccounts.Count == 0 ? "" : $"service accounts not present yet: {string.Join(", ", work.MissingServiceAccounts)}";
        var told = string.Join("; ", new[] { done, waiting }.Where(part => part.Length > 0));
        events.Normal(ns, "Synced", $"Namespace synced with Quay organization {work.Organization}{(told.Length == 0 ? "" : "; " + told)}");
        log.NamespaceSetUp(work.Name, work.Organization, told.Length == 0 ? "nothing to change" : told);
    }

    /// <summary>
    /// What an earlier operator left on the namespace, read into an empty record before anything is undone. It takes no
    /// Quay call, only the integration's Quay and cluster ID, so it is done under an integration whose Quay
    /// cannot be reached, or is not to be called (cleanupPolicy Keep while it is deleted), as well.
    /// </summary>
    private async Task AdoptLegacyAsync(NamespaceWork work, CancellationToken ct)
    {
        if (work.Config is not { } config) return;
        await ConfirmBeforeAdoptingAsync(work, ct);
        // What is read in is the acting integration's from now on (a teardown that stops half-way goes on under it), as a
        // sync's record says.
        string prefixOrganization;
        try
        {
            prefixOrganization = QuayNames.OrganizationFor(config.OrganizationPrefix, work.Name);
        }
        catch (ArgumentException)
        {
            prefixOrganization = "";
        }
        if (LegacyOwnership.Adopt(work.Namespace, work.Record, config.RegistryHost, await takeoverInventory.GoOrganizationAsync(work, config, ct),
                prefixOrganization, config.OrganizationPrefix, out _))
        {
            work.Record.Spec.Integration ??= work.IntegrationName;
            // Which namespace the record is of, as a sync writes it: a namespace made again under the name later, out of
            // scope, must find a teardown owed by this one, not a namespace to release under Keep.
            work.Record.Spec.NamespaceUid ??= work.Namespace?.Metadata.Uid;
        }
    }

    /// <summary>The namespace's organization, and its robots' names in it.</summary>
    /// <exception cref="ArgumentException">A service account cannot be mapped to a robot name there.</exception>
    private static void MapTo(NamespaceWork work, string organization)
    {
        work.Organization = organization;
        work.Robots = work.Config!.ServiceAccounts.Select(sa =>
        {
            var shortName = QuayNames.RobotShortNameFor(organization, sa.Name);
            return new DesiredRobot(sa.Name, sa.Role, shortName, QuayNames.RobotFullName(organization, shortName));
        }).ToList();
    }

    /// <summary>What an earlier version left on the namespace is read from the namespace as it is, not from a copy that may lag.</summary>
    private async Task ConfirmBeforeAdoptingAsync(NamespaceWork work, CancellationToken ct)
    {
        if (LegacyOwnership.WouldRead(work.Namespace, work.Record)) work.Namespace = await claim.ReadFromServerAsync(work.Name, ct);
    }

    /// <summary>The UID of kube-system: unique to the cluster for its whole life (see <see cref="OwnershipMarkers"/>).</summary>
    private string ClusterIdentity(IntegrationConfig? config) =>
        caches.Namespaces.Get(ObjectKey.Cluster("kube-system"))?.Metadata.Uid ?? $"cluster-id/{config?.ClusterId ?? "openshift"}";

    /// <summary>
    /// After a sync in which a Quay call failed, the next one reads Quay again instead of trusting what was last seen. A
    /// write whose answer was lost (a timeout, a dropped connection, an answer that stalled) may have landed, and writes
    /// that succeeded beside a failing one never reached the observation: trusted, a default permission (which Quay
    /// never de-duplicates) was made again for every robot of the batch, and the first of a robot the operator found,
    /// recorded under the second's id, was forgotten. A failure on the cluster's side (a conflict, a Secret in the
    /// way) says nothing of Quay: the observation stands, and its retries ask Quay nothing.
    /// </summary>
    private void DistrustObservation(NamespaceWork work)
    {
        if (work.QuayCallFailed) observations.Forget(work.Name);
    }

    private void Forget(string ns)
    {
        observations.Forget(ns);
        registry.Remove(ns);
        records.Forget(ns);
    }
}
