using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Kube;
using QuayIntegration.Operator.Observability;

namespace QuayIntegration.Operator.Runtime;

public sealed class LeaderElectionOptions
{
    public bool Enabled { get; set; } = true;
    public string Namespace { get; set; } = "";
    public string LeaseName { get; set; } = "quay-integration-operator";
    /// <summary>Defaults to &lt;hostname&gt;_&lt;uuid&gt; as controller-runtime does.</summary>
    public string Identity { get; set; } = "";
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease with client-go semantics: GET (404 → CREATE); another holder's
/// lease is only taken once it has not changed for a lease duration by the local clock; take and renew by PUT with the
/// resourceVersion (409 = someone else won); give up leadership when renewals fail for the renew deadline; release
/// (empty holder, 1 s duration) on shutdown so a successor need not wait.
/// </summary>
public sealed class LeaderElector(KubeApi api, LeaderElectionOptions options, TimeProvider time, ILogger<LeaderElector> log)
{
    private V1LeaseSpec? _observed;
    private DateTimeOffset _observedAt;

    public string Identity { get; } = string.IsNullOrEmpty(options.Identity) ? $"{Environment.MachineName}_{Guid.NewGuid()}" : options.Identity;

    public bool IsLeader { get; private set; }

    /// <summary>
    /// Campaigns until leader, runs <paramref name="lead"/> with a token cancelled when leadership is lost, and returns
    /// true if leadership was lost (false on shutdown).
    /// </summary>
    public async Task<bool> RunAsync(Func<CancellationToken, Task> lead, CancellationToken ct)
    {
        while (!await TryAcquireOrRenewAsync(ct))
            await Task.Delay(options.RetryPeriod, time, ct);

        log.LogInformation("Became leader as {Identity} (lease {Namespace}/{Lease})", Identity, options.Namespace, options.LeaseName);
        IsLeader = true;
        OperatorMetrics.IsLeader.Set(1);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        var lost = false;
        try
        {
            var lastRenew = time.GetUtcNow();
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(options.RetryPeriod, time, ct);
                if (await TryAcquireOrRenewAsync(ct)) { lastRenew = time.GetUtcNow(); continue; }
                if (time.GetUtcNow() - lastRenew >= options.RenewDeadline || !HeldByUs())
                {
                    lost = true;
                    log.LogWarning("Lost leadership of lease {Namespace}/{Lease}", options.Namespace, options.LeaseName);
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        IsLeader = false;
        OperatorMetrics.IsLeader.Set(0);
        await leading.CancelAsync();
        try { await work; } catch (OperationCanceledException) { }
        if (!lost) await ReleaseAsync();
        return lost;
    }

    private bool HeldByUs() => _observed?.HolderIdentity == Identity;

    internal async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        try
        {
            var lease = await api.GetAsync<V1Lease>(ResourceType.Leases.ObjectPath(options.Namespace, options.LeaseName), ct);
            if (lease is null)
            {
                var created = await api.CreateAsync(ResourceType.Leases.CollectionPath(options.Namespace), new V1Lease
                {
                    ApiVersion = "coordination.k8s.io/v1",
                    Kind = "Lease",
                    Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.Namespace },
                    Spec = NewSpec(null, now),
                }, ct);
                Observe(created.Spec, now);
                return true;
            }

            var spec = lease.Spec ?? new V1LeaseSpec();
            if (!SameRecord(_observed, spec)) Observe(spec, now);
            var heldByOther = !string.IsNullOrEmpty(spec.HolderIdentity) && spec.HolderIdentity != Identity;
            var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)options.LeaseDuration.TotalSeconds);
            if (heldByOther && _observedAt + duration > now) return false;

            lease.Spec = NewSpec(spec, now);
            var updated = await api.ReplaceAsync(ResourceType.Leases.ObjectPath(options.Namespace, options.LeaseName), lease, ct);
            Observe(updated.Spec, now);
            return true;
        }
        catch (KubeApiException e) when (e.IsConflict)
        {
            return false; // another candidate wrote first
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("Leader election: lease {Namespace}/{Lease} not acquired/renewed: {Error}", options.Namespace, options.LeaseName, e.Message);
            return false;
        }
    }

    private V1LeaseSpec NewSpec(V1LeaseSpec? current, DateTimeOffset now)
    {
        var takeover = current?.HolderIdentity != Identity;
        return new V1LeaseSpec
        {
            HolderIdentity = Identity,
            LeaseDurationSeconds = (int)options.LeaseDuration.TotalSeconds,
            AcquireTime = takeover ? now.UtcDateTime : current!.AcquireTime ?? now.UtcDateTime,
            RenewTime = now.UtcDateTime,
            // client-go counts every change of holder on an existing lease, including taking over a released one.
            LeaseTransitions = current is null ? 0 : (current.LeaseTransitions ?? 0) + (takeover ? 1 : 0),
        };
    }

    private void Observe(V1LeaseSpec? spec, DateTimeOffset now)
    {
        _observed = spec;
        _observedAt = now;
    }

    private static bool SameRecord(V1LeaseSpec? a, V1LeaseSpec b) =>
        a is not null && a.HolderIdentity == b.HolderIdentity && a.RenewTime == b.RenewTime && a.LeaseTransitions == b.LeaseTransitions;

    private async Task ReleaseAsync()
    {
        try
        {
            var path = ResourceType.Leases.ObjectPath(options.Namespace, options.LeaseName);
            var lease = await api.GetAsync<V1Lease>(path, CancellationToken.None);
            if (lease?.Spec?.HolderIdentity != Identity) return;
            lease.Spec.HolderIdentity = null;
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.RenewTime = time.GetUtcNow().UtcDateTime;
            await api.ReplaceAsync(path, lease, CancellationToken.None);
            log.LogInformation("Released lease {Namespace}/{Lease}", options.Namespace, options.LeaseName);
        }
        catch (Exception e)
        {
            log.LogWarning("Could not release lease: {Error}", e.Message);
        }
    }
}
