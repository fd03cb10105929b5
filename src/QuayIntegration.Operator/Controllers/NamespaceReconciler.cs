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
    EventRecorder events,
    TimeProvider time,
    ILogger<NamespaceReconciler> log) : IReconciler
{
    private sealed record RobotCredential(string Name, string Token);

    private sealed record QuayVerification(string Fingerprint, DateTimeOffset VerifiedAt, IReadOnlyDictionary<string, RobotCredential> Robots);

    private readonly ConcurrentDictionary<string, QuayVerification> _verified = new();

    public string Name => "namespace";

    /// <summary>Raised when a namespace has just become synced (the ImageStream controller then looks at its streams).</summary>
    public event Action<string>? NamespaceSynced;

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
        var fingerprint = $"{config.DesiredStateFingerprint}|{quay.Connection.Fingerprint}|{ns.Metadata.Uid}|{org}";
        var recorded = Annotation(ns, WellKnown.OrganizationAnnotation) == org && Annotation(ns, WellKnown.OwnershipAnnotation) is WellKnown.Ownership.Owned or WellKnown.Ownership.External;
        if (!_verified.TryGetValue(key, out var verified) || verified.Fingerprint != fingerprint || !recorded
            || now - verified.VerifiedAt >= config.DriftCheckInterval)
        {
            ns = await EnsureOrganizationAsync(ns, org, quay, ct);
            var robots = await EnsureRobotsAsync(ns, org, config, quay, ct);
            verified = new QuayVerification(fingerprint, now, robots);
            _verified[key] = verified;
            log.LogInformation("Verified {Organization} in Quay for {Namespace}", org, key);
        }

        var missing = await EnsureClusterStateAsync(ns, config, quay.Connection.RegistryHost, verified.Robots, ct);
        var wasSynced = registry.Get(key)?.Synced == true;
        registry.Synced(key, now);
        if (!wasSynced)
        {
            var detail = missing.Count == 0 ? "" : $"; service accounts not present yet: {string.Join(", ", missing)}";
            events.Normal(ns, "Synced", $"Namespace synced with Quay organization {org}{detail}");
            log.LogInformation("Namespace {Namespace} synced with {Organization} (outcome {Outcome})", key, org, "synced");
            NamespaceSynced?.Invoke(key);
        }
        var untilDrift = verified.VerifiedAt + config.DriftCheckInterval - time.GetUtcNow();
        return ReconcileResult.After(untilDrift > TimeSpan.FromSeconds(1) ? untilDrift : TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Ensures the organization exists and that who owns it is recorded on the namespace, crash-safely:
    /// "pending" is written only after Quay said the organization was absent and before creating it, so an
    /// organization found while "pending" is one this operator created. An organization found without any record is
    /// external (never deleted), except on a namespace carrying the upstream operator's finalizer without our
    /// annotations: the upstream operator created or adopted it and deleted it with the namespace, so it stays owned.
    /// </summary>
    private async Task<V1Namespace> EnsureOrganizationAsync(V1Namespace ns, string org, QuayClient quay, CancellationToken ct)
    {
        var recordedOrg = Annotation(ns, WellKnown.OrganizationAnnotation);
        var ownership = recordedOrg == org ? Annotation(ns, WellKnown.OwnershipAnnotation) : null;
        var exists = OrThrow("look up organization " + org, await quay.OrganizationExistsAsync(org, ct));
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
            return await PatchMetadataAsync(ns, org, decided, ct);
        }

        ns = await PatchMetadataAsync(ns, org, WellKnown.Ownership.Pending, ct);
        var created = await quay.CreateOrganizationAsync(org, ct);
        if (created.Outcome == QuayOutcome.NameNotAvailableYet)
        {
            var message = $"Quay organization {org} cannot be created yet: Quay keeps the name of a deleted organization until its garbage collection runs; retrying with backoff";
            events.Warning(ns, "OrganizationNameNotAvailable", message);
            throw new QuayOperationException("create organization " + org, created.Outcome, created.StatusCode, created.Message);
        }
        if (created.Outcome != QuayOutcome.AlreadyExists) OrThrow("create organization " + org, created);
        ns = await PatchMetadataAsync(ns, org, WellKnown.Ownership.Owned, ct);
        events.Normal(ns, "OrganizationCreated", $"Created Quay organization {org}");
        log.LogInformation("Created organization {Organization} for {Namespace}", org, ns.Metadata.Name);
        return ns;
    }

    private async Task<IReadOnlyDictionary<string, RobotCredential>> EnsureRobotsAsync(V1Namespace ns, string org, IntegrationConfig config,
        QuayClient quay, CancellationToken ct)
    {
        var robots = new Dictionary<string, RobotCredential>();
        foreach (var sa in config.ServiceAccounts)
        {
            var shortName = QuayNames.RobotShortNameFor(org, sa.Name);
            var fullName = QuayNames.RobotFullName(org, shortName);
            var robot = await quay.GetRobotAsync(org, shortName, ct);
            if (robot.Outcome == QuayOutcome.NotFound)
            {
                robot = await quay.CreateRobotAsync(org, shortName, $"Service account {ns.Metadata.Name}/{sa.Name} (QuayIntegration)", ct);
                if (robot.Outcome == QuayOutcome.AlreadyExists) robot = await quay.GetRobotAsync(org, shortName, ct);
                else if (robot.IsSuccess) events.Normal(ns, "RobotCreated", $"Created Quay robot {fullName} for service account {sa.Name}");
            }
            var value = OrThrow("get robot " + fullName, robot);
            if (string.IsNullOrEmpty(value?.Token))
                throw new QuayOperationException("get robot " + fullName, QuayOutcome.Unexpected, robot.StatusCode, "the answer carried no token");
            robots[sa.Name] = new RobotCredential(fullName, value.Token);
        }

        var prototypes = OrThrow("list default permissions of " + org, await quay.ListPrototypesAsync(org, ct)) ?? [];
        foreach (var sa in config.ServiceAccounts)
        {
            var robotName = robots[sa.Name].Name;
            var matching = prototypes.Where(p => p.ActivatingUser is null && p.Delegate?.Name == robotName).ToList();
            if (matching.Count == 0)
            {
                OrThrow($"create default permission for {robotName}", await quay.CreatePrototypeAsync(org, robotName, sa.Role, ct));
                events.Normal(ns, "DefaultPermissionCreated", $"Gave robot {robotName} the default permission {sa.Role} in {org}");
                continue;
            }
            if (matching[0].Role != sa.Role)
                OrThrow($"update default permission for {robotName}", await quay.UpdatePrototypeAsync(org, matching[0].Id, sa.Role, ct));
            // Quay never de-duplicates prototypes; an interrupted earlier run may have left extras.
            foreach (var extra in matching.Skip(1))
                OrThrow($"delete duplicate default permission for {robotName}", await quay.DeletePrototypeAsync(org, extra.Id, ct));
        }
        return robots;
    }

    /// <summary>Secrets and service account links; returns the service accounts that do not exist (yet).</summary>
    private async Task<List<string>> EnsureClusterStateAsync(V1Namespace ns, IntegrationConfig config, string registryHost,
        IReadOnlyDictionary<string, RobotCredential> robots, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var sa in config.ServiceAccounts)
        {
            var credential = robots[sa.Name];
            var secretName = QuayNames.SecretNameFor(sa.Name, config.ClusterId);
            await EnsureSecretAsync(ns, RobotSecret.Desired(ns.Metadata.Name, secretName, registryHost, credential.Name, credential.Token, sa.Name), ct);
            var account = caches.ServiceAccounts.Get(ns.Metadata.Name, sa.Name);
            if (account is null)
            {
                missing.Add(sa.Name); // linked when the service account appears (its ADDED event enqueues the namespace)
                continue;
            }
            await EnsureLinkedAsync(ns, account, secretName, ct);
        }
        if (Label(ns, WellKnown.ManagedNamespaceLabel) != WellKnown.ManagedNamespace.Ready)
            await SetManagedLabelAsync(ns, WellKnown.ManagedNamespace.Ready, ct);
        return missing;
    }

    /// <summary>Labels an in-scope namespace "pending" (never downgrading "true") so the webhook guards its builds.</summary>
    private async Task<V1Namespace> MarkInScopeAsync(V1Namespace ns, CancellationToken ct) =>
        Label(ns, WellKnown.ManagedNamespaceLabel) is null
            ? await SetManagedLabelAsync(ns, WellKnown.ManagedNamespace.Pending, ct)
            : ns;

    private Task<V1Namespace> SetManagedLabelAsync(V1Namespace ns, string value, CancellationToken ct) =>
        api.PatchAsync<V1Namespace>(ResourceType.Namespaces.ObjectPath(null, ns.Metadata.Name), "application/merge-patch+json",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [WellKnown.ManagedNamespaceLabel] = value } } }.ToJsonString(), ct);

    private async Task EnsureSecretAsync(V1Namespace ns, V1Secret desired, CancellationToken ct)
    {
        var name = desired.Metadata.Name;
        var path = ResourceType.Secrets.ObjectPath(ns.Metadata.Name, name);
        var existing = caches.Secrets.Get(ns.Metadata.Name, name);
        if (existing is not null && RobotSecret.Matches(existing, desired)) return;
        if (existing is null)
        {
            try
            {
                await api.CreateAsync(ResourceType.Secrets.CollectionPath(ns.Metadata.Name), desired, ct);
                events.Normal(ns, "SecretCreated", $"Created Secret {name}");
                return;
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                // The cache has not seen it yet, or a Secret with this name exists without our label: adopt it.
                existing = await api.GetAsync<V1Secret>(path, ct);
                if (existing is null) throw new ReconcileException($"Secret {name} vanished while being created; retrying");
                if (RobotSecret.Matches(existing, desired)) return;
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
        events.Normal(ns, "SecretRepaired", $"Restored Secret {name} to the robot's current credentials");
    }

    private async Task EnsureLinkedAsync(V1Namespace ns, V1ServiceAccount account, string secretName, CancellationToken ct)
    {
        var path = ResourceType.ServiceAccounts.ObjectPath(account.Metadata.NamespaceProperty, account.Metadata.Name);
        KubeApiException? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var patch = ServiceAccountLinkPatch.Build(account, secretName);
            if (patch is null) return;
            try
            {
                await api.PatchAsync<V1ServiceAccount>(path, "application/merge-patch+json", patch, ct);
                events.Normal(ns, "ServiceAccountLinked", $"Listed Secret {secretName} in service account {account.Metadata.Name}");
                return;
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
            OrThrow("delete organization " + org, await quay.DeleteOrganizationAsync(org, ct));
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
            OrThrow("delete organization " + org, await quay.DeleteOrganizationAsync(org, ct));
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
        registry.Remove(ns);
    }

    private static T? OrThrow<T>(string operation, QuayResult<T> result) =>
        result.IsSuccess ? result.Value : throw QuayOperationException.From(operation, result);

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
