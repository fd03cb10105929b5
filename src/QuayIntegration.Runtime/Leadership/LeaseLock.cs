using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime;

/// <summary>What one attempt to acquire or renew the Lease found out.</summary>
public enum LeaseAttempt
{
    /// <summary>The Lease now names this replica: created, taken over, or renewed.</summary>
    Held,
    /// <summary>Another replica holds the Lease, and by this replica's clock it has not expired.</summary>
    HeldByOther,
    /// <summary>An API error, a conflict (someone else wrote first), or no answer by the deadline: nothing was won.</summary>
    Failed,
}

/// <summary>
/// The coordination.k8s.io/v1 Lease protocol of client-go's resourcelock: GET (404 → CREATE); another holder's Lease
/// is taken only once its record has not changed for its lease duration, measured from when this replica first saw that
/// record on its own monotonic clock (the record's times come from another machine's wall clock and are never compared
/// with anything here; a step of the local wall clock changes nothing either); take and renew by PUT carrying the
/// resourceVersion read, so of two writers only one wins (409 for the other). Every attempt ends within a budget
/// whatever the API server does.
/// </summary>
internal sealed class LeaseLock(KubeApi api, LeaderElectionOptions options, string identity, TimeProvider time, ILogger log)
{
    /// <summary>The last record seen and when it was first seen: what expiry is judged from.</summary>
    private Observation? _observed;

    /// <param name="SeenAt">A <see cref="TimeProvider.GetTimestamp"/>: elapsed time only, immune to wall clock steps.</param>
    private sealed record Observation(V1LeaseSpec Spec, long SeenAt);

    private string ObjectPath => ResourceType.Leases.ObjectPath(options.Namespace, options.LeaseName);

    /// <summary>
    /// One GET and, if the Lease is ours to take or keep, one CREATE or PUT, all finished within <paramref name="budget"/>:
    /// a call still waiting then is abandoned (cancelled, and no longer awaited, so a connection that ignores the
    /// cancellation cannot hold the caller either) and the attempt counts as <see cref="LeaseAttempt.Failed"/>. Its
    /// findings are kept only if it finished in time. Throws <see cref="OperationCanceledException"/> on <paramref name="ct"/>.
    /// </summary>
    public async Task<LeaseAttempt> TryAcquireOrRenewAsync(TimeSpan budget, CancellationToken ct)
    {
        if (budget <= TimeSpan.Zero) return LeaseAttempt.Failed;
        using var bound = new CancellationTokenSource(budget, time);
        using var attemptToken = CancellationTokenSource.CreateLinkedTokenSource(ct, bound.Token);
        var attempt = AttemptAsync(_observed, attemptToken.Token);
        try
        {
            var (outcome, seen) = await attempt.WaitAsync(attemptToken.Token);
            if (seen is not null) _observed = seen;
            return outcome;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Observe a late failure so it is not reported as unobserved; its result no longer matters.
            _ = attempt.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            log.LeaseAttemptTimedOut(options.Namespace, options.LeaseName, budget);
            return LeaseAttempt.Failed;
        }
    }

    /// <summary>The attempt itself; it changes no state, so an abandoned one running on cannot disturb the next.</summary>
    private async Task<(LeaseAttempt Outcome, Observation? Seen)> AttemptAsync(Observation? previous, CancellationToken ct)
    {
        Observation? seen = null;
        try
        {
            var lease = await api.GetAsync<V1Lease>(ObjectPath, ct);
            // Seen once the answer is here, not when asked: the record may have been written while the GET was on its way.
            var seenAt = time.GetTimestamp();
            if (lease is null)
            {
                // Deleted by someone (a "reset" of the election) while another replica held it: that replica goes on
                // acting until its own renewal finds out, so the Lease is made again only once what was last seen of it
                // has run out, as an unchanged record would have. (Never seen held by another: made at once.)
                if (previous is { } last && last.Spec.HolderIdentity is { Length: > 0 } holder && holder != identity
                    && time.GetElapsedTime(last.SeenAt, seenAt) < DurationOf(last.Spec))
                    return (LeaseAttempt.HeldByOther, last);
                var created = await api.CreateAsync(ResourceType.Leases.CollectionPath(options.Namespace), new V1Lease
                {
                    ApiVersion = "coordination.k8s.io/v1",
                    Kind = "Lease",
                    Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.Namespace },
                    Spec = NewSpec(null),
                }, ct);
                return (LeaseAttempt.Held, new Observation(created.Spec, time.GetTimestamp()));
            }

            var spec = lease.Spec ?? new V1LeaseSpec();
            seen = previous is not null && SameRecord(previous.Spec, spec) ? previous : new Observation(spec, seenAt);
            // A record held by another, and one with no holder, are waited out for the record's own duration from when
            // it was first seen unchanged: a holder releasing sets 1 s, while someone clearing the holder of a Lease
            // another replica still renews must not let this one act beside it. The holder whose name was cleared takes
            // it back at once: it was acting all along.
            var ours = spec.HolderIdentity == identity || (string.IsNullOrEmpty(spec.HolderIdentity) && previous?.Spec.HolderIdentity == identity);
            if (!ours && time.GetElapsedTime(seen.SeenAt, seenAt) < DurationOf(spec)) return (LeaseAttempt.HeldByOther, seen);

            lease.Spec = NewSpec(spec);
            var updated = await api.ReplaceAsync(ObjectPath, lease, ct);
            return (LeaseAttempt.Held, new Observation(updated.Spec, time.GetTimestamp()));
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            return (LeaseAttempt.Failed, seen); // another candidate wrote first
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LeaseAttemptFailed(options.Namespace, options.LeaseName, e.Message);
            return (LeaseAttempt.Failed, seen);
        }
    }

    /// <summary>The record's times are the wall clock's, for people reading it; no replica judges expiry by them.</summary>
    private V1LeaseSpec NewSpec(V1LeaseSpec? current)
    {
        var now = time.GetUtcNow();
        var takeover = current?.HolderIdentity != identity;
        return new V1LeaseSpec
        {
            HolderIdentity = identity,
            LeaseDurationSeconds = (int)options.LeaseDuration.TotalSeconds,
            AcquireTime = takeover ? now.UtcDateTime : current!.AcquireTime ?? now.UtcDateTime,
            RenewTime = now.UtcDateTime,
            // client-go counts every change of holder on an existing lease, including taking over a released one.
            LeaseTransitions = current is null ? 0 : (current.LeaseTransitions ?? 0) + (takeover ? 1 : 0),
        };
    }

    private TimeSpan DurationOf(V1LeaseSpec spec) => TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)options.LeaseDuration.TotalSeconds);

    private static bool SameRecord(V1LeaseSpec a, V1LeaseSpec b) =>
        a.HolderIdentity == b.HolderIdentity && a.RenewTime == b.RenewTime && a.LeaseTransitions == b.LeaseTransitions;

    /// <summary>
    /// Empties the holder (with a 1 s duration) so a successor need not wait out the Lease; only while this replica still
    /// holds it, and only within <paramref name="budget"/>. Best effort: on failure the Lease simply expires.
    /// </summary>
    public async Task ReleaseAsync(TimeSpan budget)
    {
        using var bound = new CancellationTokenSource(budget, time);
        try
        {
            var lease = await api.GetAsync<V1Lease>(ObjectPath, bound.Token);
            if (lease?.Spec?.HolderIdentity != identity) return;
            lease.Spec.HolderIdentity = null;
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = time.GetUtcNow().UtcDateTime;
            await api.ReplaceAsync(ObjectPath, lease, bound.Token);
            log.LeaseReleased(options.Namespace, options.LeaseName);
        }
        catch (Exception e)
        {
            log.LeaseReleaseFailed(options.Namespace, options.LeaseName, e.Message);
        }
    }
}
