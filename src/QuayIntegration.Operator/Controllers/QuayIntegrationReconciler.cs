using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Turns the QuayIntegration(s) into the <see cref="IntegrationSnapshot"/> every other controller acts on, and
/// reports in the status whether it works: configuration valid, Quay reachable, token accepted and sufficient,
/// namespaces synced and failing, the last error. All QuayIntegrations share one key, so they are judged together
/// (more than one is a conflict in which nothing destructive happens). The token Secret and CA ConfigMap are re-read
/// every recheck interval, so rotating them needs no restart.
/// </summary>
public sealed class QuayIntegrationReconciler(
    ClusterCaches caches,
    KubeApi api,
    IntegrationState state,
    NamespaceSyncRegistry registry,
    QuayClientFactory clients,
    ReferencedObjects references,
    NamespaceScope scope,
    EventRecorder events,
    IOptions<OperatorOptions> options,
    TimeProvider time,
    ILogger<QuayIntegrationReconciler> log) : IReconciler
{
    /// <summary>The single work-queue key of this controller.</summary>
    public const string Key = "quayintegrations";

    private (string Fingerprint, DateTimeOffset At, QuayResult<QuayUser> Result)? _lastCheck;
    private DateTimeOffset? _unreachableSince;
    private string? _recovery;
    /// <summary>Probes in a row that found Quay unreachable: they space the next probe (0.5 s, 1 s, then every 2 s).</summary>
    private int _failedProbes;

    public string Name => "quayintegration";

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var recheck = options.Value.IntegrationRecheckInterval;
        var all = caches.QuayIntegrations.List().OrderBy(q => q.Metadata.CreationTimestamp).ThenBy(q => q.Metadata.Name).ToList();
        if (all.Count == 0)
        {
            state.Publish(new IntegrationSnapshot(IntegrationMode.None, null, null, null, "no QuayIntegration"));
            return ReconcileResult.Done;
        }
        if (all.Count > 1)
        {
            state.Publish(new IntegrationSnapshot(IntegrationMode.Conflict, null, null, null, "more than one QuayIntegration"));
            var names = string.Join(", ", all.Select(q => q.Metadata.Name));
            foreach (var cr in all)
            {
                if (cr.Metadata.DeletionTimestamp is not null)
                {
                    await RemoveFinalizerAsync(cr, ct); // nothing destructive: Quay content and namespace finalizers stay
                    continue;
                }
                var message = $"More than one QuayIntegration exists ({names}); nothing is synced until exactly one remains. Delete the extra ones.";
                events.Warning(cr, "MultipleQuayIntegrations", message);
                await WriteStatusAsync(cr, s =>
                {
                    Set(s, cr, StatusConditions.ConfigurationValid, false, "MultipleQuayIntegrations", message);
                    Set(s, cr, StatusConditions.Ready, false, "MultipleQuayIntegrations", message);
                    s.LastError = message;
                }, ct);
            }
            return ReconcileResult.After(recheck);
        }

        var resource = all[0];
        using var scope = log.BeginScope(new Dictionary<string, object> { ["quayintegration"] = resource.Metadata.Name });
        var config = IntegrationConfig.Parse(resource.Spec, out var errors);

        if (resource.Metadata.DeletionTimestamp is not null)
            return await DeleteAsync(resource, config, ct);

        if (!(resource.Metadata.Finalizers?.Contains(WellKnown.IntegrationFinalizer) ?? false))
            await AddFinalizerAsync(resource, ct);

        if (config is null)
        {
            references.Track(null, null);
            var message = "Invalid configuration: " + string.Join("; ", errors);
            return await NotReadyAsync(resource, null, StatusConditions.ConfigurationValid, "InvalidConfiguration", message, ct);
        }
        references.Track((config.CredentialsNamespace, config.CredentialsName),
            config.CaBundle is { Namespace: { } caNamespace, Name: { } caName } ? (caNamespace, caName) : null);

        var (token, tokenProblem) = await ReadTokenAsync(config, ct);
        if (token is null)
            return await NotReadyAsync(resource, config, StatusConditions.CredentialsValid, tokenProblem.Reason, tokenProblem.Message, ct);

        var (ca, caProblem) = await ReadCaBundleAsync(config, ct);
        if (caProblem is not null)
            return await NotReadyAsync(resource, config, StatusConditions.ConfigurationValid, caProblem.Value.Reason, caProblem.Value.Message, ct);

        var client = clients.GetClient(new QuayConnection(config.QuayUrl, token, ca, config.Insecure));
        // While Quay is down (or the last check could not reach it), a short probe that bypasses the retries and the
        // circuit breaker finds out when it is back; the namespaces wait meanwhile instead of feeding the outage.
        var probing = client.Availability.IsDown || _lastCheck is { Result.Outcome: QuayOutcome.Unavailable };
        var user = probing ? await ProbeAsync(client, ct) : await CheckCredentialsAsync(client, recheck, ct);
        var (reachable, credentials) = Judge(user);
        reachable = RememberOutage(resource, reachable);
        if (!(reachable.Ok && credentials.Ok))
        {
            var failed = reachable.Ok ? (StatusConditions.CredentialsValid, credentials) : (StatusConditions.QuayReachable, reachable);
            return await NotReadyAsync(resource, config, failed.Item1, failed.Item2.Reason, failed.Item2.Message, ct, reachable, credentials,
                reachable.Ok ? null : NextProbe());
        }

        if (state.Current.Mode != IntegrationMode.Active)
            events.Normal(resource, "QuayReady", $"Quay {config.QuayUrl} is reachable and accepts the token of {user.Value?.Username}; syncing namespaces");
        state.Publish(new IntegrationSnapshot(IntegrationMode.Active, resource, config, client, "ready"));
        var counts = Count(config);
        await WriteStatusAsync(resource, s =>
        {
            Set(s, resource, StatusConditions.ConfigurationValid, true, "Valid", "The configuration is valid");
            Set(s, resource, StatusConditions.QuayReachable, true, reachable.Reason, reachable.Message);
            Set(s, resource, StatusConditions.CredentialsValid, true, credentials.Reason, credentials.Message);
            if (counts.Failing == 0) Set(s, resource, StatusConditions.Ready, true, "Synced", $"{counts.Synced} namespace(s) synced with {config.QuayUrl}");
            else Set(s, resource, StatusConditions.Ready, false, "NamespacesFailing", $"{counts.Failing} namespace(s) failing: {counts.LastError}");
            SetProgress(s, resource, counts);
            s.QuayUser = user.Value?.Username;
            s.LastError = counts.LastError; // null once nothing fails: the status patch carries the null and clears it
        }, ct);
        return ReconcileResult.After(recheck);
    }

    /// <summary>
    /// The namespace counts. Pending is every namespace in scope that is neither set up nor failing: those the
    /// namespace controller reported waiting or being set up, and those it has not looked at yet (just created).
    /// </summary>
    private NamespaceSyncRegistry.Counts Count(IntegrationConfig? config)
    {
        var counts = registry.Summary();
        if (config is null) return counts;
        var unseen = caches.Namespaces.List()
            .Where(n => n.Metadata.DeletionTimestamp is null && scope.Includes(n.Metadata.Name, config) && registry.Get(n.Metadata.Name) is null)
            .Select(n => n.Metadata.Name).ToList();
        return unseen.Count == 0 ? counts : counts with
        {
            Pending = counts.Pending + unseen.Count,
            FirstPending = counts.FirstPending ?? $"namespace {unseen.Min(StringComparer.Ordinal)}: not looked at yet",
        };
    }

    /// <summary>The namespace counts, and Progressing: True while namespaces wait to be set up (or for the integration).</summary>
    private void SetProgress(QuayIntegrationStatus s, QuayIntegrationResource resource, NamespaceSyncRegistry.Counts counts)
    {
        s.SyncedNamespaces = counts.Synced;
        s.PendingNamespaces = counts.Pending;
        s.FailingNamespaces = counts.Failing;
        s.ObservedGeneration = resource.Metadata.Generation;
        if (counts.Pending > 0) Set(s, resource, StatusConditions.Progressing, true, "NamespacesPending", $"{counts.Pending} namespace(s) not set up yet, first {counts.FirstPending}");
        else Set(s, resource, StatusConditions.Progressing, false, "Idle", "No namespace waits to be set up");
    }

    private sealed record Verdict(bool Ok, string Reason, string Message);

    private static (Verdict Reachable, Verdict Credentials) Judge(QuayResult<QuayUser> user) => user.Outcome switch
    {
        QuayOutcome.Success when user.Value?.IsMe != true => (new(true, "Reachable", "Quay answered"),
            new(false, "InsufficientScope", $"The token of user {user.Value?.Username} lacks user:admin, which is needed to create organizations; create a token with org:admin, repo:admin, repo:create, repo:read, repo:write, user:admin, user:read")),
        QuayOutcome.Success => (new(true, "Reachable", "Quay answered"), new(true, "Valid", $"The token is accepted as user {user.Value!.Username}")),
        QuayOutcome.BadToken => (new(true, "Reachable", "Quay answered"),
            new(false, "InvalidToken", $"Quay does not accept the token (unknown, expired, or without user:read): {user.Message}. Update the credentials Secret")),
        QuayOutcome.Forbidden => (new(true, "Reachable", "Quay answered"), new(false, "InsufficientScope", $"The token lacks a scope: {user.Message}")),
        QuayOutcome.TlsFailure => (new(false, "TlsVerificationFailed",
            $"Quay's TLS certificate is not trusted ({user.Message}); set spec.caBundle to a ConfigMap with the CA that signs it, or spec.insecureRegistry"), Unknown()),
        QuayOutcome.Unavailable => (new(false, "QuayUnavailable", $"Quay is unreachable: {user.Message}; retrying"), Unknown()),
        _ => (new(false, "UnexpectedAnswer", $"Quay gave an unexpected answer ({user}); check that spec.quayHostname is the Quay base URL"), Unknown()),
    };

    /// <summary>
    /// Keeps what happened during an outage visible after it: once Quay answers again, QuayReachable says since when it
    /// had been unreachable (until the next outage), and an Event marks the recovery.
    /// </summary>
    private Verdict RememberOutage(QuayIntegrationResource resource, Verdict reachable)
    {
        var now = time.GetUtcNow();
        if (!reachable.Ok)
        {
            _unreachableSince ??= now;
            _recovery = null;
            return reachable with { Message = $"{reachable.Message} (unreachable since {_unreachableSince:u})" };
        }
        if (_unreachableSince is { } since)
        {
            _recovery = $"Quay answers again since {now:u}, after being unreachable from {since:u}";
            _unreachableSince = null;
            events.Normal(resource, "QuayRecovered", _recovery);
        }
        return _recovery is null ? reachable : reachable with { Message = _recovery };
    }

    private static Verdict Unknown() => new(false, "Unknown", "Not checked: Quay could not be asked");

    private async Task<QuayResult<QuayUser>> ProbeAsync(QuayClient client, CancellationToken ct)
    {
        var result = await client.ProbeAsync(ct);
        _lastCheck = (client.Connection.Fingerprint, time.GetUtcNow(), result);
        _failedProbes = result.Outcome == QuayOutcome.Unavailable ? _failedProbes + 1 : 0;
        return result;
    }

    /// <summary>When to probe an unreachable Quay again: soon at first, then every 2 s, so recovery is seen within seconds.</summary>
    private TimeSpan NextProbe() => TimeSpan.FromMilliseconds(Math.Min(2000, 250 * Math.Pow(2, Math.Max(1, _failedProbes))));

    /// <summary>GET /api/v1/user/ at most once per recheck interval for the same connection.</summary>
    private async Task<QuayResult<QuayUser>> CheckCredentialsAsync(QuayClient client, TimeSpan validity, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_lastCheck is { } last && last.Fingerprint == client.Connection.Fingerprint && now - last.At < validity && last.Result.IsSuccess)
            return last.Result;
        var result = await client.GetCurrentUserAsync(ct);
        _lastCheck = (client.Connection.Fingerprint, now, result);
        return result;
    }

    /// <summary>
    /// Publishes NotReady (namespaces wait) and writes every condition as the evidence stands: what could not be checked
    /// because of this problem is Unknown, never a stale True.
    /// </summary>
    private async Task<ReconcileResult> NotReadyAsync(QuayIntegrationResource resource, IntegrationConfig? config, string conditionType,
        string reason, string message, CancellationToken ct, Verdict? reachable = null, Verdict? credentials = null, TimeSpan? requeue = null)
    {
        state.Publish(new IntegrationSnapshot(IntegrationMode.NotReady, resource, config, null, message));
        events.Warning(resource, reason, message);
        log.LogWarning("QuayIntegration {Name} not ready (outcome {Outcome}): {Message}", resource.Metadata.Name, reason, message);
        var counts = Count(config);
        await WriteStatusAsync(resource, s =>
        {
            if (conditionType != StatusConditions.ConfigurationValid)
                Set(s, resource, StatusConditions.ConfigurationValid, true, "Valid", "The configuration is valid");
            if (reachable is not null) Set(s, resource, StatusConditions.QuayReachable, reachable.Ok, reachable.Reason, reachable.Message);
            else Set(s, resource, StatusConditions.QuayReachable, null, "NotChecked", $"Not checked: {message}");
            if (credentials is null && conditionType != StatusConditions.CredentialsValid)
                Set(s, resource, StatusConditions.CredentialsValid, null, "NotChecked", $"Not checked: {message}");
            if (credentials is not null && credentials.Reason != "Unknown")
                Set(s, resource, StatusConditions.CredentialsValid, credentials.Ok, credentials.Reason, credentials.Message);
            else if (credentials is not null)
                Set(s, resource, StatusConditions.CredentialsValid, null, credentials.Reason, credentials.Message);
            Set(s, resource, conditionType, false, reason, message);
            Set(s, resource, StatusConditions.Ready, false, reason, message);
            s.LastError = message;
            SetProgress(s, resource, counts);
        }, ct);
        return ReconcileResult.After(requeue ?? options.Value.IntegrationRecheckInterval);
    }

    private async Task<ReconcileResult> DeleteAsync(QuayIntegrationResource resource, IntegrationConfig? config, CancellationToken ct)
    {
        QuayClient? client = null;
        if (config is { DeleteOrganizationsOnCleanup: true })
        {
            var (token, _) = await ReadTokenAsync(config, ct);
            var (ca, caProblem) = await ReadCaBundleAsync(config, ct);
            if (token is not null && caProblem is null) client = clients.GetClient(new QuayConnection(config.QuayUrl, token, ca, config.Insecure));
        }
        state.Publish(new IntegrationSnapshot(IntegrationMode.Deleting, resource, config, client, "deleting"));
        var held = caches.Namespaces.List().Count(n => n.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true);
        if (held > 0)
        {
            log.LogInformation("Waiting for {Count} namespace(s) to be released before removing the QuayIntegration", held);
            return ReconcileResult.After(TimeSpan.FromSeconds(1));
        }
        await RemoveFinalizerAsync(resource, ct);
        return ReconcileResult.Done;
    }

    private async Task<(string? Token, (string Reason, string Message) Problem)> ReadTokenAsync(IntegrationConfig config, CancellationToken ct)
    {
        var (known, watched) = references.Secret(config.CredentialsNamespace, config.CredentialsName);
        var secret = known ? watched : await api.GetAsync<V1Secret>(ResourceType.Secrets.ObjectPath(config.CredentialsNamespace, config.CredentialsName), ct);
        var where = $"{config.CredentialsNamespace}/{config.CredentialsName}";
        if (secret is null)
            return (null, ("CredentialsSecretNotFound", $"Secret {where} not found: create it with key '{config.CredentialsKey}' holding a Quay OAuth token"));
        if (secret.Data is null || !secret.Data.TryGetValue(config.CredentialsKey, out var bytes))
            return (null, ("CredentialsKeyMissing", $"Secret {where} has no key '{config.CredentialsKey}'"));
        var token = Encoding.UTF8.GetString(bytes).Trim();
        if (token.Length == 0) return (null, ("CredentialsEmpty", $"Key '{config.CredentialsKey}' of Secret {where} is empty"));
        return (token, default);
    }

    private async Task<(string? Pem, (string Reason, string Message)? Problem)> ReadCaBundleAsync(IntegrationConfig config, CancellationToken ct)
    {
        if (config.CaBundle is not { } reference) return (null, null);
        var key = string.IsNullOrEmpty(reference.Key) ? "ca-bundle.crt" : reference.Key;
        var where = $"{reference.Namespace}/{reference.Name}";
        var (known, watched) = references.ConfigMap(reference.Namespace!, reference.Name!);
        var map = known ? watched : await api.GetAsync<V1ConfigMap>(ResourceType.ConfigMaps.ObjectPath(reference.Namespace, reference.Name!), ct);
        if (map is null) return (null, ("CABundleNotFound", $"ConfigMap {where} named by spec.caBundle not found"));
        if (map.Data is null || !map.Data.TryGetValue(key, out var pem) || string.IsNullOrWhiteSpace(pem))
            return (null, ("CABundleKeyMissing", $"ConfigMap {where} has no key '{key}'"));
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPem(pem);
            if (certificates.Count == 0) return (null, ("CABundleInvalid", $"Key '{key}' of ConfigMap {where} holds no PEM certificate"));
        }
        catch (CryptographicException e)
        {
            return (null, ("CABundleInvalid", $"Key '{key}' of ConfigMap {where} is not a PEM CA bundle: {e.Message}"));
        }
        return (pem, null);
    }

    private Task AddFinalizerAsync(QuayIntegrationResource resource, CancellationToken ct) =>
        PatchMetadataAsync(resource, new MetadataPatch(resource.Metadata).AddFinalizer(WellKnown.IntegrationFinalizer), ct);

    private Task RemoveFinalizerAsync(QuayIntegrationResource resource, CancellationToken ct) =>
        PatchMetadataAsync(resource, new MetadataPatch(resource.Metadata).RemoveFinalizer(WellKnown.IntegrationFinalizer), ct);

    private async Task PatchMetadataAsync(QuayIntegrationResource resource, MetadataPatch patch, CancellationToken ct)
    {
        if (patch.IsEmpty) return;
        try
        {
            await api.PatchAsync<QuayIntegrationResource>(ApiResources.QuayIntegrations.ObjectPath(null, resource.Metadata.Name),
                "application/merge-patch+json", patch.ToJson(), ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            throw new ReconcileException($"QuayIntegration {resource.Metadata.Name} changed meanwhile; retrying");
        }
    }

    /// <summary>Computes the new status from the current one and writes it to the status subresource only if it changed.</summary>
    private async Task WriteStatusAsync(QuayIntegrationResource resource, Action<QuayIntegrationStatus> update, CancellationToken ct)
    {
        var current = resource.Status ?? new QuayIntegrationStatus();
        var next = JsonSerializer.Deserialize<QuayIntegrationStatus>(JsonSerializer.Serialize(current))!;
        next.Conditions ??= [];
        update(next);
        next.Conditions = next.Conditions.OrderBy(c => c.Type, StringComparer.Ordinal).ToList();
        if (JsonSerializer.Serialize(next) == JsonSerializer.Serialize(current)) return;
        var body = new JsonObject { ["status"] = JsonNode.Parse(KubernetesJson.Serialize(next)) };
        try
        {
            await api.PatchAsync<QuayIntegrationResource>(ApiResources.QuayIntegrations.ObjectPath(null, resource.Metadata.Name) + "/status",
                "application/merge-patch+json", body.ToJsonString(), ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }
    }

    private void Set(QuayIntegrationStatus status, QuayIntegrationResource resource, string type, bool? value, string reason, string message) =>
        StatusConditions.Set(status.Conditions!, type, value, reason, message, resource.Metadata.Generation, TruncateToSeconds(time.GetUtcNow().UtcDateTime));

    private static DateTime TruncateToSeconds(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
