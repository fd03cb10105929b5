using Microsoft.Extensions.Logging;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime;

/// <summary>
/// Lease timings (<c>Operator:LeaderElection:*</c>), with client-go's meaning; see docs/leader-election.md for the
/// trade-off and the worst-case takeover time.
/// </summary>
public sealed class LeaderElectionOptions
{
    public bool Enabled { get; set; } = true;
    public string Namespace { get; set; } = "";
    public string LeaseName { get; set; } = "quay-integration-operator";
    /// <summary>Defaults to &lt;hostname&gt;_&lt;uuid&gt; as controller-runtime does.</summary>
    public string Identity { get; set; } = "";
    /// <summary>
    /// How long the others wait, after they last saw the Lease change, before taking it over. Written into the Lease
    /// (leaseDurationSeconds), so a whole number of seconds.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>The leader stops its controllers when it has not renewed the Lease for this long.</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Time between attempts to acquire or renew.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Throws when the timings cannot keep two leaders apart (client-go's NewLeaderElector refuses the same): the
    /// old leader steps down RenewDeadline after its last renewal, the others take over no earlier than LeaseDuration
    /// after it, and the gap between the two is the time the old leader has to stop its controllers.
    /// </summary>
    public void Validate()
    {
        var problems = Problems(requireNamespace: true);
        if (problems.Count > 0)
            throw new InvalidOperationException("Invalid leader election options (Operator:LeaderElection): " + string.Join("; ", problems) + ".");
    }

    /// <summary>
    /// What <see cref="Validate"/> refuses, in words; without <paramref name="requireNamespace"/> for a check made
    /// before the namespace is known (it defaults to the pod's own).
    /// </summary>
    public IReadOnlyList<string> Problems(bool requireNamespace)
    {
        var problems = new List<string>();
        if (requireNamespace && string.IsNullOrWhiteSpace(Namespace)) problems.Add("Namespace must be set");
        if (string.IsNullOrWhiteSpace(LeaseName)) problems.Add("LeaseName must be set");
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
            problems.Add($"LeaseDuration ({LeaseDuration}) must be a whole number of seconds, at least 1: the Lease stores it as leaseDurationSeconds");
        if (RenewDeadline <= TimeSpan.Zero) problems.Add($"RenewDeadline ({RenewDeadline}) must be positive");
        if (RetryPeriod <= TimeSpan.Zero) problems.Add($"RetryPeriod ({RetryPeriod}) must be positive");
        if (RenewDeadline >= LeaseDuration)
            problems.Add($"RenewDeadline ({RenewDeadline}) must be shorter than LeaseDuration ({LeaseDuration}): otherwise a leader that cannot renew may still be acting when another replica takes over");
        if (RetryPeriod >= RenewDeadline)
            problems.Add($"RetryPeriod ({RetryPeriod}) must be shorter than RenewDeadline ({RenewDeadline}): otherwise a leader gets no second try before it must step down");
        return problems;
    }
}

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease (<see cref="LeaseLock"/>) with client-go's semantics: campaign
/// every RetryPeriod until the Lease is ours, run <c>lead</c>, renew every RetryPeriod, and step down — cancel
/// <c>lead</c> and wait for it to end — as soon as another replica holds the Lease or no renewal has succeeded for
/// RenewDeadline. Every attempt is bounded by that same deadline, so a stalled API call cannot keep this replica
/// acting after it must have stopped; another replica takes over no earlier than LeaseDuration after it last saw a
/// renewal, which leaves LeaseDuration − RenewDeadline for the controllers to stop. On shutdown (not after a loss) the
/// Lease is released so a successor need not wait.
/// </summary>
public sealed class LeaderElector
{
    private readonly LeaderElectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaderElector> _log;
    private readonly LeaseLock _lease;

    public LeaderElector(KubeApi api, LeaderElectionOptions options, TimeProvider time, ILogger<LeaderElector> log)
    {
        // Checked when the host starts, not when the Lease is first needed.
        if (options.Enabled) options.Validate();
        _options = options;
        _time = time;
        _log = log;
        Identity = string.IsNullOrEmpty(options.Identity) ? $"{Environment.MachineName}_{Guid.NewGuid()}" : options.Identity;
        _lease = new LeaseLock(api, options, Identity, time, log);
    }

    public string Identity { get; }

    /// <summary>
    /// True while this replica may be acting as leader: from winning the Lease until <c>lead</c> has ended after the
    /// step-down. Two replicas never both show true if the design holds (docs/leader-election.md).
    /// </summary>
    public bool IsLeader { get; private set; }

    /// <summary>
    /// When this replica last won the Lease, just before <c>lead</c> started, by the wall clock: for logs and for
    /// ordering replicas that share a clock (tests). The elector's own deadlines use the monotonic clock.
    /// </summary>
    public DateTimeOffset? BecameLeaderAt { get; private set; }

    /// <summary>When this replica last stopped leading, by the wall clock: after <c>lead</c> had ended.</summary>
    public DateTimeOffset? StoppedLeadingAt { get; private set; }

    /// <summary>
    /// Campaigns until leader, runs <paramref name="lead"/> with a token cancelled when leadership is lost, and returns
    /// true if leadership was lost (false on shutdown).
    /// </summary>
    public async Task<bool> RunAsync(Func<CancellationToken, Task> lead, CancellationToken ct)
    {
        _options.Validate();
        var lastRenewal = await CampaignAsync(ct);

        BecameLeaderAt = _time.GetUtcNow();
        IsLeader = true;
        ControllerMetrics.IsLeader.Set(1);
        _log.BecameLeader(Identity, _options.Namespace, _options.LeaseName);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var work = Task.Run(() => lead(leading.Token), CancellationToken.None);

        var lost = await KeepRenewingAsync(lastRenewal, ct);
        var steppingDown = _time.GetTimestamp();
        await leading.CancelAsync();
        try
        {
            await work;
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            // Only now, with every reconcile ended, has this replica stopped acting as leader.
            StoppedLeadingAt = _time.GetUtcNow();
            IsLeader = false;
            ControllerMetrics.IsLeader.Set(0);
        }
        if (lost) ReportStopTime(_time.GetElapsedTime(steppingDown));
        else await _lease.ReleaseAsync(_options.RenewDeadline);
        return lost;
    }

    /// <summary>The margin the design relies on is LeaseDuration − RenewDeadline: say how much of it stopping took.</summary>
    private void ReportStopTime(TimeSpan stopping)
    {
        var margin = _options.LeaseDuration - _options.RenewDeadline;
        if (stopping < margin)
            _log.StoppedInTime(stopping, margin);
        else
            _log.StoppedLate(stopping, margin);
    }

    /// <summary>Tries every RetryPeriod until the Lease is ours; returns when the winning attempt started (a timestamp).</summary>
    private async Task<long> CampaignAsync(CancellationToken ct)
    {
        while (true)
        {
            var started = _time.GetTimestamp();
            if (await _lease.TryAcquireOrRenewAsync(_options.RenewDeadline, ct) == LeaseAttempt.Held) return started;
            await Task.Delay(_options.RetryPeriod, _time, ct);
        }
    }

    /// <summary>
    /// Renews every RetryPeriod until leadership is lost (true) or <paramref name="ct"/> asks to stop (false). A renewal
    /// counts from when its attempt started, before anything was sent: the others cannot have seen it any earlier, so
    /// stepping down RenewDeadline after that instant is always in time. Elapsed time is read from the monotonic clock
    /// (<see cref="TimeProvider.GetTimestamp"/>): a step of the wall clock can neither shorten nor stretch a deadline.
    /// </summary>
    private async Task<bool> KeepRenewingAsync(long lastRenewal, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var untilAttempt = Min(_options.RetryPeriod, _options.RenewDeadline - _time.GetElapsedTime(lastRenewal));
                if (untilAttempt > TimeSpan.Zero) await Task.Delay(untilAttempt, _time, ct);
                var started = _time.GetTimestamp();
                var left = _options.RenewDeadline - _time.GetElapsedTime(lastRenewal, started);
                if (left <= TimeSpan.Zero)
                {
                    _log.SteppingDownNotRenewed(_options.Namespace, _options.LeaseName, _options.RenewDeadline);
                    return true;
                }
                switch (await _lease.TryAcquireOrRenewAsync(left, ct))
                {
                    case LeaseAttempt.Held:
                        lastRenewal = started;
                        break;
                    case LeaseAttempt.HeldByOther:
                        _log.SteppingDownTakenOver(_options.Namespace, _options.LeaseName);
                        return true;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
