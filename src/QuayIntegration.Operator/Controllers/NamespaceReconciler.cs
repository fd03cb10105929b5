using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Kube;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Keeps one namespace in step with Quay: its organization (with a crash-safe ownership record), a robot and default
/// permission per service account of the matrix, the robots' dockerconfigjson Secrets and the service accounts' links.
///
/// Quay is only asked when something that determines Quay's state changed (configuration, credentials, namespace
/// identity) or the drift check is due; otherwise the reconcile repairs the cluster side (Secrets, links) from the
/// robot credentials verified last time, without a single Quay call.
/// </summary>
public sealed class NamespaceReconciler(
    ClusterCaches caches,
    KubeApi api,
    NamespaceScope namespaceScope,
    IntegrationState state,
    NamespaceSyncRegistry registry,
    OrganizationSync organizations,
    VerifiedRepositories repositories,
    EventRecorder events,
    TimeProvider time,
    ILogger<NamespaceReconciler> log) : IReconciler
{
    /// <summary>
    /// When the namespace's organization was last verified, and its robots' credentials. What it was verified under
    /// is <see cref="VerifiedRepositories"/>' record (set together with this one, and dropped alone when Quay
    /// contradicts it).
    /// </summary>
    private sealed record QuayVerification(DateTimeOffset VerifiedAt, IReadOnlyDictionary<string, OrganizationSync.RobotCredential> Robots);

    private readonly ConcurrentDictionary<string, QuayVerification> _verified = new();

    public string Name => "namespace";

    /// <summary>
    /// Raised when a namespace's organization has just been verified (and so the set of covered repositories in
    /// <see cref="VerifiedRepositories"/> renewed): the ImageStream controller then looks at the namespace's streams.
    /// </summary>
    public event Action<string>? OrganizationVerified;

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var ns = caches.Namespaces.Get(key);
        if (ns is null)
        {
            Forget(key);
            return ReconcileResult.Done;
        }

        var snapshot = state.Current;
        using var scope = log.BeginScope(new Dictionary<string, object> { ["namespace"] = key });
        try
        {
            switch (snapshot.Mode)
            {
                case IntegrationMode.None:
                    Forget(key);
                    return await ReleaseAsync(ns, null, deleteOrganization: false, "no QuayIntegration exists", ct);
                case IntegrationMode.Deleting:
                    Forget(key);
                    return await ReleaseAsync(ns, snapshot.Client, snapshot.Config?.DeleteOrganizationsOnCleanup == true,
                        "the QuayIntegration is being deleted", ct);
                case IntegrationMode.Conflict or IntegrationMode.NotReady:
                    return ReconcileResult.Done; // a state change enqueues every namespace again
            }

            var config = snapshot.Config!;
            var quay = snapshot.Client!;
            if (!namespaceScope.Includes(key, config))
            {
                Forget(key);
                return await ReleaseAsync(ns, quay, config.DeleteOrganizationsOnCleanup, "the namespace is no longer in scope", ct);
            }
            if (ns.Metadata.DeletionTimestamp is not null) return await FinalizeAsync(ns, quay, config, ct);
            ns = await MarkInScopeAsync(ns, ct);
            if (!NamespaceRules.IsReady(ns))
            {
                log.LogDebug("Project {Namespace} has no {Annotation} yet; waiting", key, WellKnown.OpenShiftSccMcs);
                return ReconcileResult.Done; // the annotation arrives as a MODIFIED event
            }
            return await SyncAsync(ns, config, quay, ct);
        }
        catch (QuayOperationException e)
        {
            Fail(ns, "QuaySyncFailed", e.Message);
            throw new ReconcileException(e.Message, e);
        }
        catch (KubeApiException e)
        {
            Fail(ns, "ClusterUpdateFailed", e.Message);
            throw new ReconcileException(e.Message, e);
        }
    }

    private async Task<ReconcileResult> SyncAsync(V1Namespace ns, IntegrationConfig config, QuayClient quay, CancellationToken ct)
    {
        var key = ns.Metadata.Name;
        string org;
        try
        {
            org = QuayNames.OrganizationFor(config.OrganizationPrefix, key);
        }
        catch (ArgumentException e)
        {
            Fail(ns, "InvalidName", e.Message);
            return ReconcileResult.Done; // retrying cannot help; a configuration change re-enqueues
        }

        var now = time.GetUtcNow();
        var fingerprint = VerifiedRepositories.Fingerprint(config, quay.Connection, ns.Metadata.Uid, org);
        var recorded = Annotation(ns, WellKnown.OrganizationAnnotation) == org && Annotation(ns, WellKnown.OwnershipAnnotation) is WellKnown.Ownership.Owned or WellKnown.Ownership.External;
        var verifiedNow = false;
        var changes = new List<SyncChange>();
        if (!_verified.TryGetValue(key, out var verified) || !repositories.HasVerification(key, fingerprint) || !recorded
            || now - verified.VerifiedAt >= config.DriftCheckInterval)
        {
            (ns, var outcome) = await VerifyOrganizationAsync(ns, org, config, quay, recorded, ct);
            verified = new QuayVerification(now, outcome.Robots);
            _verified[key] = verified;
            repositories.Replace(key, fingerprint, outcome.CoveredRepositories);
            changes.AddRange(outcome.Changes);
            foreach (var change in outcome.Changes)
                log.LogInformation("{Reason} in {Organization} for {Namespace}: {Message}", change.Reason, org, key, change.Message);
            verifiedNow = true;
            log.LogInformation("Verified {Organization} in Quay for {Namespace}", org, key);
        }

        var (clusterChanges, missing) = await EnsureClusterStateAsync(ns, config, quay.Connection.RegistryHost, verified.Robots, ct);
        changes.AddRange(clusterChanges);
        var wasSynced = registry.Get(key)?.Synced == true;
        registry.Synced(key, now);
        if (wasSynced)
        {
            foreach (var change in changes) events.Normal(ns, change.Reason, change.Message);
        }
        else
        {
            // The first sync is one Event that says everything, instead of one per robot, Secret and link.
            var done = changes.Count == 0 ? "" : "; " + string.Join("; ", changes.Select(c => c.Message));
            var waiting = missing.Count == 0 ? "" : $"; service accounts not present yet: {string.Join(", ", missing)}";
            events.Normal(ns, "Synced", $"Namespace synced with Quay organization {org}{done}{waiting}");
            log.LogInformation("Namespace {Namespace} synced with {Organization} (outcome {Outcome})", key, org, "synced");
        }
        if (verifiedNow || !wasSynced) OrganizationVerified?.Invoke(key);
        var untilDrift = verified.VerifiedAt + config.DriftCheckInterval - time.GetUtcNow();
        return ReconcileResult.After(untilDrift > TimeSpan.FromSeconds(1) ? untilDrift : TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Verifies (and repairs) the organization, its robots and default permissions. An organization recorded on the
    /// namespace is not looked up: its robot list proves it exists, and Quay's 403 for the robots of a missing
    /// organization sends the reconcile through the full lookup, which re-creates it.
    /// </summary>
    private async Task<(V1Namespace, OrganizationSync.Outcome)> VerifyOrganizationAsync(V1Namespace ns, string org, IntegrationConfig config,
        QuayClient quay, bool recorded, CancellationToken ct)
    {
        if (recorded)
        {
            try
            {
                return (ns, await organizations.EnsureAsync(ns, org, config, quay, createdJustNow: false, ct));
            }
            catch (QuayOperationException e) when (e.Outcome == QuayOutcome.Forbidden)
            {
                log.LogInformation("Quay refused the robots of {Organization} ({Error}); looking the organization up", org, e.Message);
            }
        }
        (ns, var created) = await EnsureOrganizationAsync(ns, org, quay, ct);
        return (ns, await organizations.EnsureAsync(ns, org, config, quay, created, ct));
    }

    /// <summary>
    /// Ensures the organization exists and that who owns it is recorded on the namespace, crash-safely:
    /// "pending" is written only after Quay said the organization was absent and before creating it, so an
    /// organization found while "pending" is one this operator created. An organization found without any record is
    /// external (never deleted), except on a namespace carrying the upstream operator's finalizer without our
    /// annotations: the upstream operator created or adopted it and deleted it with the namespace, so it stays owned.
    /// </summary>
    /// <returns>The namespace as patched, and whether the organization was created by this call (and so is empty).</returns>
    private async Task<(V1Namespace Namespace, bool Created)> EnsureOrganizationAsync(V1Namespace ns, string org, QuayClient quay, CancellationToken ct)
    {
        var recordedOrg = Annotation(ns, WellKnown.OrganizationAnnotation);
        var ownership = recordedOrg == org ? Annotation(ns, WellKnown.OwnershipAnnotation) : null;
        var exists = (await quay.OrganizationExistsAsync(org, ct)).ValueOrThrow("look up organization " + org);
        if (exists)
        {
            var decided = ownership switch
            {
                WellKnown.Ownership.Owned or WellKnown.Ownership.Pending => WellKnown.Ownership.Owned,
                WellKnown.Ownership.External => WellKnown.Ownership.External,
                _ => HasFinalizer(ns) && recordedOrg is null ? WellKnown.Ownership.Owned : WellKnown.Ownership.External,
            };
            if (ownership is null && decided == WellKnown.Ownership.External)
                events.Normal(ns, "OrganizationExists", $"Quay organization {org} already existed; it is used and will not be deleted with the namespace");
            return (await PatchMetadataAsync(ns, org, decided, ct), false);
        }

        ns = await PatchMetadataAsync(ns, org, WellKnown.Ownership.Pending, ct);
        var created = await quay.CreateOrganizationAsync(org, ct);
        if (created.Outcome == QuayOutcome.NameNotAvailableYet)
        {
            var message = $"Quay organization {org} cannot be created yet: Quay keeps the name of a deleted organization until its garbage collection runs; retrying with backoff";
            events.Warning(ns, "OrganizationNameNotAvailable", message);
            throw new QuayOperationException("create organization " + org, created.Outcome, created.StatusCode, created.Message);
        }
        // "Already exists" right after Quay said absent is a concurrent create by this operator (another replica's
        // last moments as leader): still ours, but no longer known to be empty.
        if (created.Outcome != QuayOutcome.AlreadyExists) created.ValueOrThrow("create organization " + org);
        ns = await PatchMetadataAsync(ns, org, WellKnown.Ownership.Owned, ct);
        if (created.Outcome == QuayOutcome.AlreadyExists) return (ns, false);
        events.Normal(ns, "OrganizationCreated", $"Created Quay organization {org}");
        log.LogInformation("Created organization {Organization} for {Namespace}", org, ns.Metadata.Name);
        return (ns, true);
    }

    /// <summary>
    /// Secrets and service account links, one service account at a time but all of them in parallel: what had to
    /// change, and the service accounts that do not exist (yet).
    /// </summary>
    private async Task<(List<SyncChange> Changes, List<string> Missing)> EnsureClusterStateAsync(V1Namespace ns, IntegrationConfig config,
        string registryHost, IReadOnlyDictionary<string, OrganizationSync.RobotCredential> robots, CancellationToken ct)
    {
        var perAccount = await Task.WhenAll(config.ServiceAccounts.Select(sa => EnsureServiceAccountStateAsync(ns, sa.Name, config, registryHost, robots[sa.Name], ct)));
        if (Label(ns, WellKnown.ManagedNamespaceLabel) != WellKnown.ManagedNamespace.Ready)
            await SetManagedLabelAsync(ns, WellKnown.ManagedNamespace.Ready, ct);
        return (perAccount.SelectMany(a => a.Changes).ToList(), perAccount.Where(a => a.Missing).Select(a => a.Account).ToList());
    }

    private async Task<(string Account, List<SyncChange> Changes, bool Missing)> EnsureServiceAccountStateAsync(V1Namespace ns, string account,
        IntegrationConfig config, string registryHost, OrganizationSync.RobotCredential credential, CancellationToken ct)
    {
        var changes = new List<SyncChange>();
        var secretName = QuayNames.SecretNameFor(account, config.ClusterId);
        if (await EnsureSecretAsync(ns, RobotSecret.Desired(ns.Metadata.Name, secretName, registryHost, credential.Name, credential.Token, account), ct)
            is { } secretChange)
            changes.Add(secretChange);
        var serviceAccount = caches.ServiceAccounts.Get(ns.Metadata.Name, account);
        if (serviceAccount is null) return (account, changes, true); // linked when it appears (its ADDED event enqueues the namespace)
        if (await EnsureLinkedAsync(serviceAccount, secretName, ct))
            changes.Add(new("ServiceAccountLinked", $"Listed Secret {secretName} in service account {account}"));
        return (account, changes, false);
    }

    /// <summary>Labels an in-scope namespace "pending" (never downgrading "true") so the webhook guards its builds.</summary>
    private async Task<V1Namespace> MarkInScopeAsync(V1Namespace ns, CancellationToken ct) =>
        Label(ns, WellKnown.ManagedNamespaceLabel) is null
            ? await SetManagedLabelAsync(ns, WellKnown.ManagedNamespace.Pending, ct)
            : ns;

    private Task<V1Namespace> SetManagedLabelAsync(V1Namespace ns, string value, CancellationToken ct) =>
        api.PatchAsync<V1Namespace>(ResourceType.Namespaces.ObjectPath(null, ns.Metadata.Name), "application/merge-patch+json",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [WellKnown.ManagedNamespaceLabel] = value } } }.ToJsonString(), ct);

    private async Task<SyncChange?> EnsureSecretAsync(V1Namespace ns, V1Secret desired, CancellationToken ct)
    {
        var name = desired.Metadata.Name;
        var path = ResourceType.Secrets.ObjectPath(ns.Metadata.Name, name);
        var existing = caches.Secrets.Get(ns.Metadata.Name, name);
        if (existing is not null && RobotSecret.Matches(existing, desired)) return null;
        if (existing is null)
        {
            try
            {
                await api.CreateAsync(ResourceType.Secrets.CollectionPath(ns.Metadata.Name), desired, ct);
                return new("SecretCreated", $"Created Secret {name}");
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                // The cache has not seen it yet, or a Secret with this name exists without our label: adopt it.
                existing = await api.GetAsync<V1Secret>(path, ct);
                if (existing is null) throw new ReconcileException($"Secret {name} vanished while being created; retrying");
                if (RobotSecret.Matches(existing, desired)) return null;
            }
        }
        if (existing.Type != desired.Type)
        {
            // The type of a Secret is immutable.
            await api.DeleteAsync(path, ct);
            await api.CreateAsync(ResourceType.Secrets.CollectionPath(ns.Metadata.Name), desired, ct);
        }
        else
        {
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["resourceVersion"] = existing.Metadata.ResourceVersion,
                    ["labels"] = ToJson(desired.Metadata.Labels),
                    ["annotations"] = ToJson(desired.Metadata.Annotations),
                },
                ["data"] = new JsonObject { [RobotSecret.DataKey] = Convert.ToBase64String(desired.Data[RobotSecret.DataKey]) },
            };
            await api.PatchAsync<V1Secret>(path, "application/merge-patch+json", patch.ToJsonString(), ct);
        }
        return new("SecretRepaired", $"Restored Secret {name} to the robot's current credentials");
    }

    /// <summary>Returns whether the service account had to be patched.</summary>
    private async Task<bool> EnsureLinkedAsync(V1ServiceAccount account, string secretName, CancellationToken ct)
    {
        var path = ResourceType.ServiceAccounts.ObjectPath(account.Metadata.NamespaceProperty, account.Metadata.Name);
        KubeApiException? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var patch = ServiceAccountLinkPatch.Build(account, secretName);
            if (patch is null) return false;
            try
            {
                await api.PatchAsync<V1ServiceAccount>(path, "application/merge-patch+json", patch, ct);
                return true;
            }
            catch (KubeApiException e) when (e.IsPreconditionFailure)
            {
                last = e;
                // Someone else (for example OpenShift's pull-secret controller) changed it: re-read and retry.
                account = await api.GetAsync<V1ServiceAccount>(path, ct)
                          ?? throw new ReconcileException($"service account {account.Metadata.Name} disappeared");
            }
        }
        throw new ReconcileException($"service account {account.Metadata.Name} kept changing while being linked ({last?.ApiMessage}); retrying");
    }

    /// <summary>The namespace is being deleted: delete the organization if we own it, then let the namespace go.</summary>
    private async Task<ReconcileResult> FinalizeAsync(V1Namespace ns, QuayClient quay, IntegrationConfig config, CancellationToken ct)
    {
        Forget(ns.Metadata.Name);
        if (!HasFinalizer(ns)) return ReconcileResult.Done;
        var org = Annotation(ns, WellKnown.OrganizationAnnotation) ?? QuayNames.OrganizationFor(config.OrganizationPrefix, ns.Metadata.Name);
        if (OwnsOrganization(ns))
        {
            (await quay.DeleteOrganizationAsync(org, ct)).ValueOrThrow("delete organization " + org);
            events.Normal(ns, "OrganizationDeleted", $"Deleted Quay organization {org} with the namespace");
            log.LogInformation("Deleted organization {Organization} of namespace {Namespace}", org, ns.Metadata.Name);
        }
        else
        {
            events.Normal(ns, "OrganizationKept", $"Kept Quay organization {org}: it existed before the operator used it");
        }
        await RemoveFinalizerAsync(ns, ct);
        return ReconcileResult.Done;
    }

    /// <summary>Stops managing a namespace; deletes its organization only when asked to and only if we own it.</summary>
    private async Task<ReconcileResult> ReleaseAsync(V1Namespace ns, QuayClient? quay, bool deleteOrganization, string why, CancellationToken ct)
    {
        if (!HasFinalizer(ns)) return ReconcileResult.Done;
        var org = Annotation(ns, WellKnown.OrganizationAnnotation);
        if (deleteOrganization && quay is not null && org is not null && OwnsOrganization(ns))
        {
            (await quay.DeleteOrganizationAsync(org, ct)).ValueOrThrow("delete organization " + org);
            events.Normal(ns, "OrganizationDeleted", $"Deleted Quay organization {org} (cleanupPolicy Delete): {why}");
        }
        await RemoveFinalizerAsync(ns, ct);
        events.Normal(ns, "Released", $"Stopped managing the namespace: {why}");
        return ReconcileResult.Done;
    }

    private static bool OwnsOrganization(V1Namespace ns) => Annotation(ns, WellKnown.OwnershipAnnotation) switch
    {
        WellKnown.Ownership.Owned or WellKnown.Ownership.Pending => true,
        WellKnown.Ownership.External => false,
        // Finalizer without our record: set by the upstream operator, which deleted the organization with the namespace.
        _ => Annotation(ns, WellKnown.OrganizationAnnotation) is null,
    };

    private async Task RemoveFinalizerAsync(V1Namespace ns, CancellationToken ct)
    {
        var remaining = new JsonArray((ns.Metadata.Finalizers ?? []).Where(f => f != WellKnown.NamespaceFinalizer).Select(f => (JsonNode)f!).ToArray());
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = ns.Metadata.ResourceVersion,
                ["finalizers"] = remaining,
                // No longer managed: the webhook's namespaceSelector stops sending this namespace's builds.
                ["labels"] = new JsonObject { [WellKnown.ManagedNamespaceLabel] = null },
            },
        };
        try
        {
            await api.PatchAsync<V1Namespace>(ResourceType.Namespaces.ObjectPath(null, ns.Metadata.Name), "application/merge-patch+json", patch.ToJsonString(), ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            throw new ReconcileException($"namespace {ns.Metadata.Name} changed while removing the finalizer; retrying");
        }
    }

    /// <summary>Records organization, ownership and our finalizer in one patch guarded by the resourceVersion.</summary>
    private async Task<V1Namespace> PatchMetadataAsync(V1Namespace ns, string org, string ownership, CancellationToken ct)
    {
        if (HasFinalizer(ns) && Annotation(ns, WellKnown.OrganizationAnnotation) == org && Annotation(ns, WellKnown.OwnershipAnnotation) == ownership)
            return ns;
        var finalizers = new JsonArray((ns.Metadata.Finalizers ?? []).Append(WellKnown.NamespaceFinalizer).Distinct().Select(f => (JsonNode)f!).ToArray());
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = ns.Metadata.ResourceVersion,
                ["finalizers"] = finalizers,
                ["annotations"] = new JsonObject { [WellKnown.OrganizationAnnotation] = org, [WellKnown.OwnershipAnnotation] = ownership },
            },
        };
        try
        {
            return await api.PatchAsync<V1Namespace>(ResourceType.Namespaces.ObjectPath(null, ns.Metadata.Name), "application/merge-patch+json", patch.ToJsonString(), ct);
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            throw new ReconcileException($"namespace {ns.Metadata.Name} changed while recording the organization; retrying");
        }
    }

    private void Fail(V1Namespace ns, string reason, string message)
    {
        registry.Failed(ns.Metadata.Name, message, time.GetUtcNow());
        events.Warning(ns, reason, message);
        log.LogWarning("Namespace {Namespace} not synced (outcome {Outcome}): {Error}", ns.Metadata.Name, reason, message);
    }

    private void Forget(string ns)
    {
        _verified.TryRemove(ns, out _);
        repositories.Forget(ns);
        registry.Remove(ns);
    }

    private static bool HasFinalizer(V1Namespace ns) => ns.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true;

    private static string? Annotation(V1Namespace ns, string key) =>
        ns.Metadata.Annotations is { } a && a.TryGetValue(key, out var v) ? v : null;

    private static string? Label(V1Namespace ns, string key) =>
        ns.Metadata.Labels is { } l && l.TryGetValue(key, out var v) ? v : null;

    private static JsonObject ToJson(IDictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map) o[k] = v;
        return o;
    }
}
