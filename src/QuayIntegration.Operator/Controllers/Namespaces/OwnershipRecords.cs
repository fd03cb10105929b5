using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Reads and writes the QuayNamespace objects that hold the ownership records. Reads come from the informer cache,
/// except that the copy this process wrote last is used until the cache has caught up with it: a reconcile that runs
/// before the watch event of the previous write arrives must not start from the older record (its write would be
/// refused with a conflict, or worse, an entry would look missing). Every write is guarded by the resourceVersion it
/// was computed from, so a concurrent writer makes it fail and the reconcile runs again on fresh data.
/// </summary>
public sealed class OwnershipRecords(Informer<QuayNamespaceResource> cache, KubeApi api)
{
    /// <summary>Held on a record while its namespace is managed, so a hand deletion cannot take the record away then.</summary>
    public const string Finalizer = "quay.redhat.com/ownership-record";

    /// <summary>
    /// The records as this process last wrote them, until the cache catches up (a spec write followed by a status
    /// write replaces two versions before the cache sees either).
    /// </summary>
    private readonly ReadYourWrites<QuayNamespaceResource> _records = new(cache);

    /// <summary>
    /// Records this process let go (deleted by hand while held, their last finalizer taken off by a release) whose
    /// re-creation has not succeeded yet: the deleted one as last read, and what is to be made. Nothing else knows what
    /// they held, so they are made again before their namespace's next reconcile reads them
    /// (<see cref="MakeAgainWhatWasLetGoAsync"/>). In memory only: a crash still loses them, as it loses the moment
    /// between the two writes; a lost Lease ends the process, so no later leader's work is written over from here.
    /// </summary>
    private readonly ConcurrentDictionary<string, (QuayNamespaceResource Deleted, QuayNamespaceResource Body)> _toMakeAgain = new(StringComparer.Ordinal);

    public QuayNamespaceResource? Get(string ns) => _records.Get(ObjectKey.Cluster(ns));

    /// <summary>Copies this process wrote that the cache has not caught up with yet (for tests and diagnostics).</summary>
    internal int PendingCount => _records.PendingCount;

    public OwnershipDraft Draft(string ns) => new(ns, Get(ns));

    /// <summary>Whether the stored record holds its finalizer, so that nobody else can delete it.</summary>
    public static bool Holds(OwnershipDraft draft) => draft.Stored?.Metadata.Finalizers?.Contains(Finalizer) == true;

    /// <summary>
    /// Writes the draft when it changed, or when the finalizer must be added or removed (<paramref name="hold"/>: the
    /// namespace is managed), or always when <paramref name="force"/>d: a write carries the resourceVersion read, so
    /// one that succeeds proves nobody else wrote the record since (what a write ahead relies on). Creates the
    /// QuayNamespace when none exists.
    /// </summary>
    public async Task SaveAsync(OwnershipDraft draft, bool hold, CancellationToken ct, bool force = false)
    {
        var stored = draft.Stored;
        if (stored is null && draft.IsEmpty && !hold) return; // nothing to remember
        var holds = Holds(draft);
        var deleting = stored?.Metadata.DeletionTimestamp is not null;
        var finalizers = (stored?.Metadata.Finalizers ?? []).Where(f => f != Finalizer).ToList();
        // A record being deleted can take no new finalizer (the API server refuses it); it is replaced once gone.
        var keepFinalizer = hold && (holds || !deleting);
        // Deleted by hand while its namespace was managed, the record was held by the finalizer; letting go of it now
        // (a release under cleanupPolicy Keep) would forget what the operator keeps from here on. It is made again
        // once this write has let the deleted one go, as it would stand had nobody deleted it: released, without the
        // finalizer, so a deletion by hand from then on forgets, as for any released record. While another's finalizer
        // holds it too, it could not be made again: it keeps the operator's until the next save.
        var heldWhileDeleted = holds && deleting && !draft.IsEmpty;
        var remake = heldWhileDeleted && !keepFinalizer;
        if (remake && finalizers.Count > 0) (keepFinalizer, remake) = (true, false);
        if (stored is not null && !force && !draft.HasUnsavedChanges && holds == keepFinalizer) return;

        if (keepFinalizer) finalizers.Add(Finalizer);
        var body = new QuayNamespaceResource
        {
            Metadata = new V1ObjectMeta
            {
                Name = draft.Namespace,
                ResourceVersion = stored?.Metadata.ResourceVersion,
                // A PUT replaces the whole metadata: what others put there goes back as it was.
                Labels = stored?.Metadata.Labels,
                Annotations = stored?.Metadata.Annotations,
                OwnerReferences = stored?.Metadata.OwnerReferences,
                Finalizers = finalizers.Count == 0 ? null : finalizers,
            },
            Spec = draft.Spec,
        };
        QuayNamespaceResource? written;
        var remade = false;
        try
        {
            written = await WriteAsync(draft.Namespace, () => stored is null
                ? api.CreateAsync(ApiResources.QuayNamespaces.CollectionPath() + Strict, body, ct)
                : api.ReplaceAsync(ApiResources.QuayNamespaces.ObjectPath(null, draft.Namespace) + Strict, body, ct));
            // The API server deletes an object being deleted within the write that removes its last finalizer, so the
            // name is free at once. (A crash between the two writes loses the record; the namespace, still held by its
            // own finalizer, is then read as set up by an earlier version: LegacyOwnership.)
            if (remake) (written, remade) = (await RemakeAsync(stored!, body), true);
        }
        catch (KubeApiException e) when (e.IsNotFound && heldWhileDeleted)
        {
            // Gone since this reconcile read it, although the finalizer held it: a remake above that failed after its
            // first write (the save after that failure lands here), or a finalizer removed by hand. What this
            // reconcile knows is written again rather than forgotten.
            (written, remade) = (await RemakeAsync(stored!, body), true);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            _records.Forget(ObjectKey.Cluster(draft.Namespace)); // from now on the cache is the truth
            throw new ReconcileException($"the QuayNamespace {draft.Namespace} changed meanwhile ({e.Reason}); retrying with the current one");
        }
        catch (KubeApiException e) when (e.IsNotFound && stored is not null)
        {
            _records.Forget(ObjectKey.Cluster(draft.Namespace));
            throw new ReconcileException($"the QuayNamespace {draft.Namespace} was deleted meanwhile; retrying");
        }
        catch (KubeApiException e) when (e.Status == System.Net.HttpStatusCode.MethodNotAllowed || e.IsNotFound)
        {
            // A create refused because the QuayNamespace CustomResourceDefinition is being deleted (405) or is gone (404):
            // nothing can be remembered, so nothing is done in Quay for the namespace. Said as it is, not as a retry.
            throw new ReconcileException($"the QuayNamespace {draft.Namespace} cannot be written ({e.ApiMessage}): the QuayNamespace " +
                                         "CustomResourceDefinition is being deleted or is gone, so nothing is set up in Quay for this namespace; " +
                                         "apply deploy/base/crds/quay.redhat.com_quaynamespaces.yaml again, or finish uninstalling (README, Uninstalling)");
        }
        if (written is null)
        {
            // Not made again: the record went with the CustomResourceDefinition's deletion, an uninstall's.
            _records.Deleted(ObjectKey.Cluster(draft.Namespace), stored);
            draft.Deleted();
            return;
        }
        var dropped = DroppedRecordFields.Between(body.Spec, written.Spec);
        if (remade) _records.Recreated(stored!, written);
        else _records.Written(stored, written);
        draft.Saved(written);
        if (dropped.Count > 0) throw new RecordFieldsDroppedException(draft.Namespace, dropped);
    }

    /// <summary>
    /// Record writes ask the API server to refuse a field its QuayNamespace schema does not know (an older
    /// CustomResourceDefinition than this operator's) rather than drop it silently: nothing is written then, so nothing
    /// written ahead of a create stands without what tells it apart. Kubernetes before 1.25 ignores the parameter; the
    /// comparison of what was kept with what was sent (<see cref="DroppedRecordFields"/>) tells there.
    /// </summary>
    private const string Strict = "?fieldValidation=Strict";

    private static async Task<QuayNamespaceResource> WriteAsync(string ns, Func<Task<QuayNamespaceResource>> write)
    {
        try
        {
            return await write();
        }
        catch (KubeApiException e) when (e.Status == System.Net.HttpStatusCode.BadRequest && DroppedRecordFields.Refused(e.ApiMessage) is { Count: > 0 } unknown)
        {
            throw new RecordFieldsDroppedException(ns, unknown);
        }
    }

    /// <summary>
    /// The record made again under its name, from what the draft knows (the deleted one's version and status left
    /// behind). Null when the API server refuses to make records (405: the QuayNamespace CustomResourceDefinition is
    /// being deleted; 404: it is gone): the record was deleted with it, as an uninstall asks (README, Uninstalling).
    /// Not cancelled with the reconcile (a stop, a rolling update, a lost lease): the write that let the deleted one
    /// go is done, and only this one keeps what it knew (the request's own timeout still applies). A leader acting
    /// meanwhile is not overwritten: a record it made first refuses this create. Any other failure leaves it to be
    /// made at the namespace's next reconcile.
    /// </summary>
    private async Task<QuayNamespaceResource?> RemakeAsync(QuayNamespaceResource deleted, QuayNamespaceResource body)
    {
        var name = body.Metadata.Name;
        body.Metadata.ResourceVersion = null;
        _toMakeAgain[name] = (deleted, body);
        try
        {
            var made = await WriteAsync(name, () => api.CreateAsync(ApiResources.QuayNamespaces.CollectionPath() + Strict, body, CancellationToken.None));
            _toMakeAgain.TryRemove(name, out _);
            return made;
        }
        catch (KubeApiException e) when (e.Status == System.Net.HttpStatusCode.MethodNotAllowed || e.IsNotFound)
        {
            _toMakeAgain.TryRemove(name, out _);
            return null;
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            // Made already: by another leader, or by this process's own earlier create whose answer was lost.
            _toMakeAgain.TryRemove(name, out _);
            throw;
        }
    }

    /// <summary>
    /// Makes again, before its namespace's reconcile reads it, a record whose re-creation failed after this process's
    /// write had let the deleted one go (<see cref="SaveAsync"/>); done once a record under the name other than the
    /// deleted one is read. A failure is retried with the reconcile's backoff. Returns what is to be told when another
    /// record took the name first (made by someone, or restored from a backup): what only the one let go knew is no
    /// longer held anywhere, and the organizations it named are said, for a person to compare.
    /// </summary>
    public async Task<string?> MakeAgainWhatWasLetGoAsync(string ns, CancellationToken ct)
    {
        if (!_toMakeAgain.TryGetValue(ns, out var pending)) return null;
        if (Get(ns) is { } current && current.Metadata.Uid != pending.Deleted.Metadata.Uid)
        {
            _toMakeAgain.TryRemove(ns, out _);
            return Displaced(ns, pending.Body, current);
        }
        ct.ThrowIfCancellationRequested();
        QuayNamespaceResource? made;
        try
        {
            made = await RemakeAsync(pending.Deleted, pending.Body);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            _records.Forget(ObjectKey.Cluster(ns));
            return Displaced(ns, pending.Body, await api.GetAsync<QuayNamespaceResource>(ApiResources.QuayNamespaces.ObjectPath(null, ns), ct));
        }
        catch (KubeApiException e)
        {
            throw new ReconcileException($"the QuayNamespace {ns}, deleted by hand while its namespace was managed and let go since, " +
                                         $"cannot be made again yet ({e.ApiMessage}); retrying: until it is, only this process knows what it held");
        }
        if (made is null) return null;
        _records.Recreated(pending.Deleted, made);
        var dropped = DroppedRecordFields.Between(pending.Body.Spec, made.Spec);
        return dropped.Count == 0 ? null : throw new RecordFieldsDroppedException(ns, dropped);
    }

    /// <summary>Null when the record there holds what the lost one did (this process's own earlier create, whose answer was lost).</summary>
    private static string? Displaced(string ns, QuayNamespaceResource lost, QuayNamespaceResource? there)
    {
        if (there is not null && KubernetesSerializerOptions.Serialize(there.Spec) == KubernetesSerializerOptions.Serialize(lost.Spec)) return null;
        var organizations = (lost.Spec.Organizations ?? []).Select(o => $"{o.Name} on {o.Host} ({o.Origin})").ToList();
        return $"the QuayNamespace {ns} was deleted by hand while its namespace was managed, and another was made under its name before the " +
               "operator could make its own again; the operator goes by the one there now. Its own listed " +
               (organizations.Count == 0 ? "no organization" : "the organizations " + string.Join(", ", organizations)) +
               $" and {lost.Spec.Secrets?.Count ?? 0} Secret(s): what the one there now lacks of those is no longer on record";
    }

    /// <summary>
    /// The record's status as the API server has it now, for a decision the cache may be behind on: a conflict on the
    /// record drops this process's own copy of what it last wrote, and the informer may not have seen that write yet.
    /// </summary>
    public async Task<QuayNamespaceStatus?> ReadStatusAsync(string ns, CancellationToken ct) =>
        (await api.GetAsync<QuayNamespaceResource>(ApiResources.QuayNamespaces.ObjectPath(null, ns), ct))?.Status;

    /// <summary>
    /// Writes the status when it differs from the stored one (a merge patch with explicit nulls, so cleared fields go);
    /// whether the record now holds it (false when there is no record to hold it).
    /// </summary>
    public async Task<bool> SaveStatusAsync(OwnershipDraft draft, QuayNamespaceStatus status, CancellationToken ct)
    {
        var stored = draft.Stored;
        if (stored is null) return false;
        var next = KubernetesSerializerOptions.Serialize(status);
        if (stored.Status is not null && KubernetesSerializerOptions.Serialize(stored.Status) == next) return true;
        var patch = new JsonObject { ["status"] = JsonNode.Parse(next) };
        QuayNamespaceResource written;
        try
        {
            written = await api.PatchAsync<QuayNamespaceResource>(ApiResources.QuayNamespaces.ObjectPath(null, draft.Namespace) + "/status",
                new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return false;
        }
        _records.Written(stored, written);
        draft.StatusSaved(written);
        return true;
    }

    /// <summary>Removes the record for good: its finalizer first, then the object.</summary>
    public async Task DeleteAsync(OwnershipDraft draft, CancellationToken ct)
    {
        var stored = draft.Stored;
        if (stored is null) return;
        var path = ApiResources.QuayNamespaces.ObjectPath(null, draft.Namespace);
        var key = ObjectKey.Cluster(draft.Namespace);
        var last = stored;
        var release = MetadataPatch.RemoveFinalizer(stored.Metadata, Finalizer);
        try
        {
            if (!release.IsEmpty)
                last = _records.Written(stored, await api.PatchAsync<QuayNamespaceResource>(path, release.ToPatch(), ct));
            await api.DeleteAsync(path, ct);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            _records.Forget(key);
            throw new ReconcileException($"the QuayNamespace {draft.Namespace} changed while being deleted; retrying");
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            // Deleted already (by hand, or the cache had not seen the deletion yet): what was wanted.
        }
        // Read as gone until the cache sees the deletion: the echo of the namespace's own release must not find the
        // record and release it a second time.
        _records.Deleted(key, last);
        draft.Deleted();
    }

    public void Forget(string ns) => _records.Forget(ObjectKey.Cluster(ns));
}
