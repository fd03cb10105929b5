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
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Turns the QuayIntegrations into the <see cref="IntegrationSet"/> every other controller acts on, and reports in each
/// one's status whether it works: configuration valid, Quay reachable, token accepted and sufficient, namespaces
/// synced, pending, failing and in conflict, the last error. All QuayIntegrations share one key, so they are judged
/// together (a cluster ID used twice, a namespace selected twice) and published as one set. Each is judged on its own
/// evidence: one that fails never stops another. The token Secrets and CA ConfigMaps are watched by name and re-read
/// every recheck interval, so rotating them needs no restart.
/// </summary>
public sealed class QuayIntegrationReconciler(
    ClusterCaches caches,
    KubeApi api,
    IntegrationState state,
    NamespaceSyncRegistry registry,
    DeletionReleases deletionReleases,
    QuayClientFactory clients,
    ReferencedObjects references,
    NamespaceScope scope,
    EventRecorder events,
    IOptions<OperatorOptions> options,
    TimeProvider time,
    ILogger<QuayIntegrationReconciler> log) : IReconciler
{
    /// <summary>The single work-queue key of this controller.</summary>
    public static readonly ObjectKey Key = ObjectKey.Cluster("quayintegrations");

    /// <summary>What the last passes learned of each integration's Quay, by the integration's UID.</summary>
    private readonly Dictionary<string, QuayHealth> _health = new(StringComparer.Ordinal);

    /// <summary>The last credential check, the outage being lived through or just ended, and the probes that failed in a row.</summary>
    private sealed class QuayHealth
    {
        public (string Fingerprint, DateTimeOffset At, QuayResult<QuayUser> Result)? LastCheck;
        public DateTimeOffset? UnreachableSince;
        public string? Recovery;
        /// <summary>Probes in a row that found Quay unreachable: they space the next probe (0.5 s, 1 s, then every 2 s).</summary>
        public int FailedProbes;
        /// <summary>Why the last judgement failed, if it did: a failure that repeats is logged once.</summary>
        public string? JudgementFailure;
        /// <summary>Judgements in a row that failed: they space the next one.</summary>
        public int FailedJudgements;
    }

    private sealed record Judgement(IntegrationSnapshot? Snapshot, TimeSpan? Requeue);

    public string Name => "quayintegration";

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct)
    {
        var views = ConfiguredIntegrations.ViewsOf(caches.QuayIntegrations.List());
        var usable = views.OfType<IntegrationView.Usable>().Select(u => u.Config).ToList();
        references.Track(
            usable.Select(c => (c.CredentialsNamespace, c.CredentialsName)),
            usable.Where(c => c.CaBundle is { Namespace: not null, Name: not null }).Select(c => (c.CaBundle!.Namespace!, c.CaBundle.Name!)));
        foreach (var gone in _health.Keys.Except(views.Select(v => v.Resource.Metadata.Uid ?? v.Name)).ToList()) _health.Remove(gone);
        clients.KeepOnly(views.Select(v => v.Name));
        var conflicts = Conflicts(views);

        var snapshots = new List<IntegrationSnapshot>();
        TimeSpan? requeue = null;
        var hosts = views.Select(v => (v.Name, RegistryHostOf(v))).ToList();
        foreach (var view in views)
        {
            using var logScope = log.BeginScope(new Dictionary<string, object> { ["quayintegration"] = view.Name });
            Judgement judgement;
            try
            {
                judgement = await JudgeAsync(view, conflicts.GetValueOrDefault(view.Name, []), hosts, ct);
                var health = HealthOf(view.Resource);
                (health.JudgementFailure, health.FailedJudgements) = (null, 0);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                judgement = NotJudged(view, e);
            }
            if (judgement.Snapshot is not null) snapshots.Add(judgement.Snapshot);
            if (judgement.Requeue is { } after && (requeue is null || after < requeue)) requeue = after;
        }
        state.Publish(new IntegrationSet(true, snapshots));
        return requeue is { } next ? ReconcileResult.After(next) : ReconcileResult.Done;
    }

    /// <summary>
    /// One integration's judgement failed (a conflict on its finalizer, its token Secret or status write timing out):
    /// the others are published all the same. It keeps what was last published for it, on no new evidence, or waits
    /// (NotReady, which lets nothing go) when nothing was; and it is judged again in a second.
    /// </summary>
    private Judgement NotJudged(IntegrationView view, Exception e)
    {
        var message = StatusConditions.Bounded($"could not be judged: {e.Message}")!;
        var health = HealthOf(view.Resource);
        if (health.JudgementFailure != message)
        {
            log.IntegrationNotJudged(view.Name, message);
            if (!ExpectedFailures.Contains(e)) log.IntegrationJudgementFailed(view.Name, e);
        }
        health.JudgementFailure = message;
        health.FailedJudgements++;
        var previous = state.Current.Get(view.Name);
        // With its configuration, so that it still selects its namespaces (which wait) and still counts in conflicts and
        // in the rule for records that name no integration: one published without would leave them to another. One being
        // deleted stays Deleting, which selects nothing, without a client (so cleanupPolicy Delete waits).
        var snapshot = previous is not null && previous.Resource.Metadata.Uid == view.Resource.Metadata.Uid
            ? previous
            : new IntegrationSnapshot(view.Name, view is IntegrationView.Deleting ? IntegrationMode.Deleting : IntegrationMode.NotReady,
                view.Resource, ConfigOf(view), null, message);
        // 1 s, 2 s, 4 s … up to 30 s: every pass counts every namespace of every integration.
        var retry = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(health.FailedJudgements - 1, 5))));
        return new Judgement(snapshot, retry);
    }

    private static IntegrationConfig? ConfigOf(IntegrationView view) => view switch
    {
        IntegrationView.Usable usable => usable.Config,
        IntegrationView.Deleting deleting => deleting.Config,
        _ => null,
    };

    /// <summary>
    /// The registry host each integration's snapshot will carry: a usable one's, a deleted one's as its spec still says,
    /// none for one that cannot be used (<see cref="NotReadyAsync"/> publishes it without a configuration).
    /// </summary>
    private static string? RegistryHostOf(IntegrationView view) => ConfigOf(view)?.RegistryHost;

    private async Task<Judgement> JudgeAsync(IntegrationView view, IReadOnlyList<string> conflicting, IReadOnlyList<(string Name, string? Host)> hosts,
        CancellationToken ct)
    {
        var resource = view.Resource;
        if (view is IntegrationView.Deleting deleting) return await DeleteAsync(resource, deleting.Config, hosts, ct);
        if (!(resource.Metadata.Finalizers?.Contains(WellKnown.IntegrationFinalizer) ?? false))
            await AddFinalizerAsync(resource, ct);
        var health = HealthOf(resource);

        if (view is IntegrationView.Unusable unusable)
            return await NotReadyAsync(resource, null, conflicting, StatusConditions.ConfigurationValid, unusable.Code, unusable.Reason, ct);
        var config = ((IntegrationView.Usable)view).Config;
        var recheck = options.Value.IntegrationRecheckInterval;

        // Both read at once: each comes from its watch once that has synced, else by one GET, and both watches start
        // together, so both objects are taken from the same moment.
        var tokenRead = ReadTokenAsync(config, ct);
        var caRead = ReadCaBundleAsync(config, ct);
        await Task.WhenAll(tokenRead, caRead);
        var (token, tokenProblem) = await tokenRead;
        var (ca, caProblem) = await caRead;
        if (token is null)
            return await NotReadyAsync(resource, config, conflicting, StatusConditions.CredentialsValid, tokenProblem.Reason, tokenProblem.Message, ct,
                configurationProblem: caProblem);

        if (caProblem is not null)
            return await NotReadyAsync(resource, config, conflicting, StatusConditions.ConfigurationValid, caProblem.Value.Reason, caProblem.Value.Message, ct);

        var client = clients.GetClient(view.Name, new QuayConnection(config.QuayUrl, token, ca, config.Insecure));
        // While Quay is down (or the last check could not reach it), a short probe that bypasses the retries and the
        // circuit breaker finds out when it is back; the namespaces wait meanwhile instead of feeding the outage.
        var probing = client.Availability.IsDown || health.LastCheck is { Result.Outcome: QuayOutcome.Unavailable };
        var user = probing ? await ProbeAsync(health, client, ct) : await CheckCredentialsAsync(health, client, recheck, ct);
        var (reachable, credentials) = Judge(user);
        reachable = RememberOutage(health, resource, reachable);
        if (!(reachable.Ok && credentials.Ok))
        {
            var failed = reachable.Ok ? (StatusConditions.CredentialsValid, credentials) : (StatusConditions.QuayReachable, reachable);
            return await NotReadyAsync(resource, config, conflicting, failed.Item1, failed.Item2.Reason, failed.Item2.Message, ct, reachable, credentials,
                reachable.Ok ? null : NextProbe(health));
        }

        if (state.Current.Get(view.Name)?.Mode != IntegrationMode.Active)
            events.Normal(resource, "QuayReady", $"Quay {config.QuayUrl} is reachable and accepts the token of {user.Value?.Username}; syncing namespaces");
        var snapshot = new IntegrationSnapshot(view.Name, IntegrationMode.Active, resource, config, client, "ready");
        var counts = Count(view.Name, config, conflicting, snapshot.Fingerprint);
        await WriteStatusAsync(resource, s =>
        {
            Set(s, resource, StatusConditions.ConfigurationValid, true, "Valid", "The configuration is valid");
            Set(s, resource, StatusConditions.QuayReachable, true, reachable.Reason, reachable.Message);
            Set(s, resource, StatusConditions.CredentialsValid, true, credentials.Reason, credentials.Message);
            if (counts.Failing == 0) Set(s, resource, StatusConditions.Ready, true, "Synced", $"{counts.Synced} namespace(s) synced with {config.QuayUrl}");
            else Set(s, resource, StatusConditions.Ready, false, StatusConditions.NamespacesFailing, $"{counts.Failing} namespace(s) failing: {counts.LastError}");
            SetProgress(s, resource, counts, conflicting);
            s.QuayUser = user.Value?.Username;
            s.LastError = counts.LastError; // null once nothing fails: the status patch carries the null and clears it
        }, ct);
        return new Judgement(snapshot, recheck);
    }

    private QuayHealth HealthOf(QuayIntegrationResource resource)
    {
        var id = resource.Metadata.Uid ?? resource.Metadata.Name;
        if (!_health.TryGetValue(id, out var health)) _health[id] = health = new QuayHealth();
        return health;
    }

    /// <summary>
    /// The namespaces each usable integration shares with another: selected by both, so managed by neither
    /// (the namespace reconciler says so on the namespace; each integration counts them in its status).
    /// </summary>
    private Dictionary<string, IReadOnlyList<string>> Conflicts(IReadOnlyList<IntegrationView> views)
    {
        var usable = views.OfType<IntegrationView.Usable>().ToList();
        var conflicts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (usable.Count < 2) return [];
        foreach (var ns in caches.Namespaces.List())
        {
            if (ns.Metadata.DeletionTimestamp is not null) continue;
            var selecting = usable.Where(u => scope.Selects(ns, u.Config)).ToList();
            if (selecting.Count < 2) continue;
            foreach (var integration in selecting)
                (conflicts.TryGetValue(integration.Name, out var list) ? list : conflicts[integration.Name] = []).Add(ns.Metadata.Name);
        }
        return conflicts.ToDictionary(c => c.Key, c => (IReadOnlyList<string>)c.Value.Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
    }

    /// <summary>
    /// The namespace counts of one integration. Pending is every namespace it selects that is neither set up, failing
    /// nor in conflict: those the namespace controller reported waiting or being set up, and those it has not judged
    /// under an integration yet (just created, or waiting, after a restart, for the integrations to be judged). Of
    /// those, one whose record says it was failing under this integration still counts as failing, with the record's
    /// error: a restart or a new leader must not report a failing namespace well before it has been tried again.
    /// </summary>
    private NamespaceSyncRegistry.Counts Count(string integration, IntegrationConfig? config, IReadOnlyList<string> conflicting, string? fingerprint = null)
    {
        var counts = registry.Summary(integration, fingerprint);
        if (config is null) return counts;
        var unseen = caches.Namespaces.List()
            .Where(n => n.Metadata.DeletionTimestamp is null && scope.Selects(n, config) && registry.Get(n.Metadata.Name)?.Integration is null
                        && !conflicting.Contains(n.Metadata.Name))
            .Select(n => n.Metadata.Name).Order(StringComparer.Ordinal).ToList();
        if (unseen.Count == 0) return counts;
        var lastFailed = unseen.Select(n => (Name: n, Error: NamespaceReport.RecordedFailure(caches.QuayNamespaces.Get(ObjectKey.Cluster(n)), integration)))
            .Where(f => f.Error is not null).ToList();
        var stillPending = unseen.Except(lastFailed.Select(f => f.Name), StringComparer.Ordinal).ToList();
        return counts with
        {
            Pending = counts.Pending + stillPending.Count,
            Failing = counts.Failing + lastFailed.Count,
            LastError = counts.LastError ?? (lastFailed.Count > 0
                ? StatusConditions.Bounded($"namespace {lastFailed[0].Name}: {lastFailed[0].Error} (as last recorded; not tried again yet)") : null),
            FirstPending = counts.FirstPending ?? (stillPending.Count == 0 ? null
                : NamespaceReport.SetUpBefore(caches.QuayNamespaces.Get(ObjectKey.Cluster(stillPending[0])), integration)
                    ? $"namespace {stillPending[0]}: set up before; not checked since the operator started"
                    : $"namespace {stillPending[0]}: not looked at yet"),
        };
    }

    /// <summary>
    /// The namespace counts; Progressing: True while namespaces wait to be set up (or for the integration);
    /// NamespaceConflicts: True while another integration selects some of its namespaces too.
    /// </summary>
    private void SetProgress(QuayIntegrationStatus s, QuayIntegrationResource resource, NamespaceSyncRegistry.Counts counts, IReadOnlyList<string> conflicting)
    {
        s.SyncedNamespaces = counts.Synced;
        s.PendingNamespaces = counts.Pending;
        s.FailingNamespaces = counts.Failing;
        s.ConflictingNamespaces = conflicting.Count;
        s.ObservedGeneration = resource.Metadata.Generation;
        if (counts.Pending > 0) Set(s, resource, StatusConditions.Progressing, true, "NamespacesPending", $"{counts.Pending} namespace(s) waiting to be set up or checked, first {counts.FirstPending}");
        else Set(s, resource, StatusConditions.Progressing, false, "Idle", "No namespace waits to be set up");
        if (conflicting.Count > 0)
        {
            var listed = string.Join(", ", conflicting.Take(5)) + (conflicting.Count > 5 ? $" and {conflicting.Count - 5} more" : "");
            Set(s, resource, StatusConditions.NamespaceConflicts, true, "SelectedByAnotherIntegration",
                $"{conflicting.Count} namespace(s) are selected by another QuayIntegration too and synced by neither: {listed}");
        }
        else Set(s, resource, StatusConditions.NamespaceConflicts, false, "NoConflict", "No namespace is selected by another QuayIntegration too");
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
    private Verdict RememberOutage(QuayHealth health, QuayIntegrationResource resource, Verdict reachable)
    {
        var now = time.GetUtcNow();
        if (!reachable.Ok)
        {
            health.UnreachableSince ??= now;
            health.Recovery = null;
            return reachable with { Message = $"{reachable.Message} (unreachable since {health.UnreachableSince:u})" };
        }
        if (health.UnreachableSince is { } since)
        {
            health.Recovery = $"Quay answers again since {now:u}, after being unreachable from {since:u}";
            health.UnreachableSince = null;
            events.Normal(resource, "QuayRecovered", health.Recovery);
        }
        return health.Recovery is null ? reachable : reachable with { Message = health.Recovery };
    }

    private static Verdict Unknown() => new(false, "Unknown", "Not checked: Quay could not be asked");

    private async Task<QuayResult<QuayUser>> ProbeAsync(QuayHealth health, QuayClient client, CancellationToken ct)
    {
        var result = await client.ProbeAsync(ct);
        health.LastCheck = (client.Connection.Fingerprint, time.GetUtcNow(), result);
        health.FailedProbes = result.Outcome == QuayOutcome.Unavailable ? health.FailedProbes + 1 : 0;
        return result;
    }

    /// <summary>When to probe an unreachable Quay again: soon at first, then every 2 s, so recovery is seen within seconds.</summary>
    private static TimeSpan NextProbe(QuayHealth health) => TimeSpan.FromMilliseconds(Math.Min(2000, 250 * Math.Pow(2, Math.Max(1, health.FailedProbes))));

    /// <summary>GET /api/v1/user/ at most once per recheck interval for the same connection.</summary>
    private async Task<QuayResult<QuayUser>> CheckCredentialsAsync(QuayHealth health, QuayClient client, TimeSpan validity, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (health.LastCheck is { } last && last.Fingerprint == client.Connection.Fingerprint && now - last.At < validity && last.Result.IsSuccess)
            return last.Result;
        var result = await client.GetCurrentUserAsync(ct);
        health.LastCheck = (client.Connection.Fingerprint, now, result);
        return result;
    }

    /// <summary>
    /// NotReady (its namespaces wait), with every condition written as the evidence stands: what could not be checked
    /// because of this problem is Unknown, never a stale True.
    /// </summary>
    private async Task<Judgement> NotReadyAsync(QuayIntegrationResource resource, IntegrationConfig? config, IReadOnlyList<string> conflicting,
        string conditionType, string reason, string message, CancellationToken ct, Verdict? reachable = null, Verdict? credentials = null,
        TimeSpan? requeue = null, (string Reason, string Message)? configurationProblem = null)
    {
        var snapshot = new IntegrationSnapshot(resource.Metadata.Name, IntegrationMode.NotReady, resource, config, null, message) { Cause = reason };
        events.Warning(resource, reason, message);
        log.IntegrationNotReady(resource.Metadata.Name, reason, message);
        var counts = Count(resource.Metadata.Name, config, conflicting);
        await WriteStatusAsync(resource, s =>
        {
            // A second problem, of the configuration (its CA bundle), beside the one that decided: said too, never "valid".
            if (conditionType != StatusConditions.ConfigurationValid && configurationProblem is { } also)
                Set(s, resource, StatusConditions.ConfigurationValid, false, also.Reason, also.Message);
            else if (conditionType != StatusConditions.ConfigurationValid)
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
            // The user is known only while Quay accepts the token: one missing, refused or short of a scope names none.
            if (conditionType == StatusConditions.CredentialsValid || credentials is { Ok: false } && credentials.Reason != "Unknown") s.QuayUser = null;
            s.LastError = StatusConditions.Bounded(message);
            SetProgress(s, resource, counts, conflicting);
        }, ct);
        return new Judgement(snapshot, requeue ?? options.Value.IntegrationRecheckInterval);
    }

    /// <summary>
    /// Being deleted: its namespaces are released under its policies (with cleanupPolicy Delete, through a client made
    /// from its token), and the finalizer goes once none of them is held any more. With cleanupPolicy Delete and a token
    /// or CA that cannot be read, nothing can be deleted, and a release would quietly keep it all: the namespaces wait
    /// (<see cref="NamespaceIntent"/>), and the status and an Event say why and how to go on.
    /// </summary>
    private async Task<Judgement> DeleteAsync(QuayIntegrationResource resource, IntegrationConfig? config, IReadOnlyList<(string Name, string? Host)> hosts,
        CancellationToken ct)
    {
        QuayClient? client = null;
        string? blocked = null;
        (string Condition, string Reason, string Message)? unreadable = null;
        if (config is { DeleteOrganizationsOnCleanup: true })
        {
            var (token, tokenProblem) = await ReadTokenAsync(config, ct);
            var (ca, caProblem) = await ReadCaBundleAsync(config, ct);
            if (token is not null && caProblem is null) client = clients.GetClient(resource.Metadata.Name, new QuayConnection(config.QuayUrl, token, ca, config.Insecure));
            else
            {
                unreadable = token is null
                    ? (StatusConditions.CredentialsValid, tokenProblem.Reason, tokenProblem.Message)
                    : (StatusConditions.ConfigurationValid, caProblem!.Value.Reason, caProblem.Value.Message);
                blocked = $"cleanupPolicy Delete cannot be carried out: {unreadable.Value.Message}; " +
                          "restore it to delete what the operator created, or set spec.cleanupPolicy to Keep to let the namespaces go and keep it";
            }
        }
        var snapshot = new IntegrationSnapshot(resource.Metadata.Name, IntegrationMode.Deleting, resource, config, client, blocked ?? "deleting");
        var held = HeldNamespaces(resource.Metadata.Name, hosts);
        // Under cleanupPolicy Delete, what it kept for namespaces it no longer holds (released under Keep before, or
        // deleted since) is owed that policy too: such records are released once more under it before it goes.
        if (config is { DeleteOrganizationsOnCleanup: true }) held += OwedRecords(resource, hosts);
        if (held > 0)
        {
            log.WaitingForRelease(held);
            if (blocked is not null) events.Warning(resource, "DeletionBlocked", blocked);
            // A release that fails (Quay down under cleanupPolicy Delete, a Secret the API server will not delete) is
            // what the deletion waits for: said here too, not only on the namespace.
            var counts = registry.Summary(resource.Metadata.Name);
            var failing = counts.Failing == 0 ? "" : $"; {counts.Failing} failing, the last: {counts.LastError}";
            var (reason, message) = blocked is null
                ? ("Deleting", $"Being deleted: releasing {held} namespace(s) first{failing}")
                : ("DeletionBlocked", $"Being deleted, {held} namespace(s) still held: {blocked}");
            // The deletion mark bumped metadata.generation: the whole status is written for that generation, what is not
            // checked while deleting as Unknown rather than as it was before.
            await WriteStatusAsync(resource, s =>
            {
                s.ObservedGeneration = resource.Metadata.Generation;
                (s.SyncedNamespaces, s.PendingNamespaces, s.FailingNamespaces, s.ConflictingNamespaces) = (counts.Synced, counts.Pending, counts.Failing, 0);
                s.LastError = blocked ?? counts.LastError;
                s.QuayUser = null;
                // Each condition set once: one set twice in a pass would stamp a new lastTransitionTime every pass.
                const string NotChecked = "Not checked while the QuayIntegration is being deleted";
                Set(s, resource, StatusConditions.QuayReachable, null, "NotChecked", NotChecked);
                if (unreadable is { Condition: StatusConditions.CredentialsValid } token) Set(s, resource, token.Condition, false, token.Reason, token.Message);
                else Set(s, resource, StatusConditions.CredentialsValid, null, "NotChecked", NotChecked);
                if (unreadable is { Condition: StatusConditions.ConfigurationValid } ca) Set(s, resource, ca.Condition, false, ca.Reason, ca.Message);
                else if (config is not null) Set(s, resource, StatusConditions.ConfigurationValid, true, "Valid", "The configuration is valid");
                Set(s, resource, StatusConditions.Progressing, false, "Deleting", "Being deleted: no namespace is set up any more");
                Set(s, resource, StatusConditions.NamespaceConflicts, false, "Deleting", "Being deleted: it selects no namespace");
                Set(s, resource, StatusConditions.Ready, false, reason, message);
            }, ct);
            return new Judgement(snapshot, TimeSpan.FromSeconds(1));
        }
        await RemoveFinalizerAsync(resource, ct);
        deletionReleases.Forget(resource.Metadata.Uid);
        return new Judgement(null, null);
    }

    /// <summary>
    /// Records of <paramref name="resource"/> (by the rule of <see cref="BelongsTo"/>) that still hold something, whose
    /// namespace it does not hold (gone, or without the finalizer), and that were not released under its deletion yet.
    /// Waited for exactly where the namespace reconciler releases them under this deletion (<see cref="NamespaceIntent.Decide"/>):
    /// not a namespace two other integrations select (their conflict), nor one released already that one other
    /// integration selects (its sync or its wait); one never released that one other selects is a move, released here first.
    /// </summary>
    private int OwedRecords(QuayIntegrationResource resource, IReadOnlyList<(string Name, string? Host)> hosts)
    {
        var others = state.Current.All.Where(i => i.Selects && i.Name != resource.Metadata.Name).ToList();
        return caches.QuayNamespaces.List().Count(r =>
        {
            if (r.Spec is not { } spec || (spec.Organizations is not { Count: > 0 } && spec.Secrets is not { Count: > 0 })) return false;
            if (!BelongsTo(spec, resource.Metadata.Name, hosts) || deletionReleases.WasReleased(resource.Metadata.Uid, r.Metadata.Name)) return false;
            var ns = caches.Namespaces.Get(ObjectKey.Cluster(r.Metadata.Name));
            if (ns is null) return true;
            if (ns.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true) return false; // held: counted as such
            if (ns.Metadata.DeletionTimestamp is not null) return true;
            return others.Count(i => scope.Selects(ns, i.Config!)) switch
            {
                0 => true,
                1 => spec.Released != true,
                _ => false,
            };
        });
    }

    /// <summary>
    /// Namespaces still held for <paramref name="integration"/>: carrying the operator's finalizer while their record
    /// names this integration, or names none (records from before several integrations) and belongs to it by the
    /// namespace reconciler's own rule, <see cref="NamespaceIntent.LegacyOwner"/>, over <paramref name="hosts"/>; with no
    /// record at all, only when its configuration can be read (else the namespace waits for another integration).
    /// </summary>
    private int HeldNamespaces(string integration, IReadOnlyList<(string Name, string? Host)> hosts) =>
        caches.Namespaces.List().Count(n =>
        {
            if (n.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) != true) return false;
            var record = caches.QuayNamespaces.Get(ObjectKey.Cluster(n.Metadata.Name))?.Spec;
            // With no record, only an integration whose configuration can be read can take in what an earlier operator
            // left on the namespace; one whose cannot does not wait for it (the namespace waits for a configuration).
            if (record is null && hosts.FirstOrDefault(h => h.Name == integration).Host is null) return false;
            return BelongsTo(record, integration, hosts);
        });

    /// <summary>
    /// Whether a record (null: none) is <paramref name="integration"/>'s: it names it, or names none (records from
    /// before several integrations) and belongs to it by the namespace reconciler's own rule, <see cref="NamespaceIntent.LegacyOwner"/>.
    /// </summary>
    private static bool BelongsTo(OwnershipRecord? record, string integration, IReadOnlyList<(string Name, string? Host)> hosts) =>
        record?.Integration is { } name
            ? name == integration
            : NamespaceIntent.LegacyOwner((record?.Organizations ?? []).Select(o => o.Host), hosts) == integration;

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
                patch.ToPatch(), ct);
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
        var currentJson = KubernetesSerializerOptions.Serialize(current);
        var next = KubernetesSerializerOptions.Deserialize<QuayIntegrationStatus>(currentJson);
        next.Conditions ??= [];
        update(next);
        next.Conditions = next.Conditions.OrderBy(c => c.Type, StringComparer.Ordinal).ToList();
        var nextJson = KubernetesSerializerOptions.Serialize(next);
        if (nextJson == currentJson) return;
        var body = new JsonObject { ["status"] = JsonNode.Parse(nextJson) };
        try
        {
            await api.PatchAsync<QuayIntegrationResource>(ApiResources.QuayIntegrations.ObjectPath(null, resource.Metadata.Name) + "/status",
                new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch), ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }
    }

    private void Set(QuayIntegrationStatus status, QuayIntegrationResource resource, string type, bool? value, string reason, string message) =>
        StatusConditions.Set(status.Conditions!, type, value, reason, message, resource.Metadata.Generation, KubeTime.ToSecond(time.GetUtcNow().UtcDateTime));
}
