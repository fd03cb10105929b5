using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Tests.Support;
using QuayIntegration.Testing;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>
/// The elector's deadlines on a fake clock, against the emulated API server over real HTTPS: the Lease traffic of the
/// elector's own user is stalled or failed by the emulator, never by a stand-in for the elector's code. The clock is
/// moved only while the elector waits on it, so the instants it acts at are exact; instants are read on the monotonic
/// (fake) time, which the elector's wall clock may be stepped away from.
/// </summary>
public sealed class LeaderElectorDeadlineTests : IAsyncLifetime
{
    private const string Namespace = "ops";
    private const string LeaseName = "lock";
    private const string User = "replica-a";
    /// <summary>The KubeApi's own request timeout, far beyond every test: only the elector's deadline may end a call.</summary>
    private static readonly TimeSpan NoRequestTimeout = TimeSpan.FromDays(1);
    private static readonly TimeSpan RealWait = TimeSpan.FromSeconds(10);
    /// <summary>Fake time that may pass while an attempt's HTTP calls are answered in real time, the clock stepping on.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);
    private EmulatedApiServer _world = null!;
    private readonly SteppedClock _clock;
    private readonly SteppableWallClock _wall;
    private readonly CancellationTokenSource _shutdown = new();

    public LeaderElectorDeadlineTests()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _clock = new SteppedClock(fake);
        _wall = new SteppableWallClock(fake);
    }

    public async Task InitializeAsync()
    {
        _world = await EmulatedApiServer.StartAsync();
        await _world.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });
    }

    public async Task DisposeAsync()
    {
        await _shutdown.CancelAsync();
        _world.Server.Faults.Reset();
        await _world.DisposeAsync();
        _shutdown.Dispose();
    }

    private static LeaderElectionOptions Options(int retryPeriodSeconds = 2) => new()
    {
        Namespace = Namespace, LeaseName = LeaseName, Identity = User,
        LeaseDuration = TimeSpan.FromSeconds(15), RenewDeadline = TimeSpan.FromSeconds(10), RetryPeriod = TimeSpan.FromSeconds(retryPeriodSeconds),
    };

    /// <summary>An elector running with a lead callback that records, on the fake clock, when it started and was cancelled.</summary>
    private sealed class Candidate
    {
        public required LeaderElector Elector { get; init; }
        public TaskCompletionSource<DateTimeOffset> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<DateTimeOffset> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<bool> Run { get; set; } = null!;
    }

    private Candidate Start(LeaderElectionOptions options)
    {
        var api = _world.Server.KubeApiFor(User, NoRequestTimeout, _clock.Time);
        var candidate = new Candidate { Elector = new LeaderElector(api, options, _wall, NullLogger<LeaderElector>.Instance) };
        candidate.Run = candidate.Elector.RunAsync(async lead =>
        {
            candidate.Started.TrySetResult(_clock.Now);
            await using (lead.Register(() => candidate.Cancelled.TrySetResult(_clock.Now)))
                await candidate.Cancelled.Task;
        }, _shutdown.Token);
        return candidate;
    }

    [Fact]
    public async Task A_leader_whose_renewal_hangs_steps_down_exactly_at_the_renew_deadline_while_the_call_still_hangs()
    {
        var options = Options();
        var a = Start(options);
        var acquiredAt = await a.Started.Task.WaitAsync(RealWait);
        var stall = _world.Server.Faults.Stall(resource: "leases", ns: Namespace, user: User);

        await _clock.AdvanceUntilAsync(() => stall.Held > 0, options.RenewDeadline, "the renewal reached the stalled server");
        _clock.Time.Advance(acquiredAt + options.RenewDeadline - SteppedClock.Step - _clock.Now);
        await Task.Delay(TimeSpan.FromMilliseconds(300)); // room to step down too early, if it would
        Assert.False(a.Cancelled.Task.IsCompleted, "stepped down before the renew deadline");
        Assert.True(a.Elector.IsLeader);

        _clock.Time.Advance(SteppedClock.Step);
        Assert.Equal(acquiredAt + options.RenewDeadline, await a.Cancelled.Task.WaitAsync(RealWait));
        Assert.True(await a.Run.WaitAsync(RealWait), "leadership lost");
        Assert.False(a.Elector.IsLeader);
        Assert.Equal(1, stall.Held); // one renewal, hanging the whole time: the deadline ended it, not an answer
        Assert.False(stall.IsReleased);
    }

    [Fact]
    public async Task A_leader_whose_renewals_fail_steps_down_at_the_renew_deadline_not_at_the_next_retry()
    {
        // Retries at 3, 6 and 9 s fail; the next would be at 12 s, after the 10 s deadline.
        var options = Options(retryPeriodSeconds: 3);
        var a = Start(options);
        var acquiredAt = await a.Started.Task.WaitAsync(RealWait);
        _world.Server.Faults.InjectStatus(500, count: 1000, resource: "leases", verb: "update");

        await _clock.AdvanceUntilAsync(() => _clock.Now >= acquiredAt + options.RenewDeadline - SteppedClock.Step, options.RenewDeadline, "just before the deadline");
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(a.Cancelled.Task.IsCompleted, "stepped down before the renew deadline");
        Assert.True(_world.Server.Requests.ByUser(User).Where(r => r.Key.Verb == "update").Sum(r => r.Value) >= 3, "the renewals were attempted");

        _clock.Time.Advance(SteppedClock.Step);
        Assert.Equal(acquiredAt + options.RenewDeadline, await a.Cancelled.Task.WaitAsync(RealWait));
        Assert.True(await a.Run.WaitAsync(RealWait));
    }

    [Fact]
    public async Task Successful_renewals_keep_a_leader_leading_well_past_the_renew_deadline()
    {
        var options = Options();
        var a = Start(options);
        await a.Started.Task.WaitAsync(RealWait);

        await _clock.AdvanceAsync(3 * options.RenewDeadline);

        Assert.False(a.Cancelled.Task.IsCompleted, "stepped down although every renewal succeeded");
        Assert.True(a.Elector.IsLeader);
        var renewals = _world.Server.Requests.ByUser(User).Where(r => r.Key.Verb == "update").Sum(r => r.Value);
        Assert.InRange(renewals, 3 * options.RenewDeadline / options.RetryPeriod - 2, 3 * options.RenewDeadline / options.RetryPeriod);
    }

    [Fact]
    public async Task A_leader_that_finds_another_holder_steps_down_at_once_without_waiting_for_the_deadline()
    {
        var options = Options();
        var a = Start(options);
        var acquiredAt = await a.Started.Task.WaitAsync(RealWait);
        var lease = await _world.Client.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, Namespace);
        lease.Spec.HolderIdentity = "intruder";
        await _world.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, LeaseName, Namespace);

        await _clock.AdvanceUntilAsync(() => a.Cancelled.Task.IsCompleted, options.RenewDeadline, "stepped down");
        // At the first renewal after the takeover (the clock runs on while its GET is answered), long before the deadline.
        Assert.InRange(await a.Cancelled.Task, acquiredAt + options.RetryPeriod, acquiredAt + options.RenewDeadline - options.RetryPeriod);
        Assert.True(await a.Run.WaitAsync(RealWait));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(+1)]
    public async Task A_candidate_judges_another_holders_lease_by_its_own_clock_whatever_time_the_record_carries(int recordClockOffsetDays)
    {
        // The holder's clock is a day off ours: its renewTime says nothing about when the Lease expires here.
        var options = Options();
        var skewed = DateTime.UtcNow.AddDays(recordClockOffsetDays);
        await _world.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = LeaseName },
            Spec = new V1LeaseSpec { HolderIdentity = "other", LeaseDurationSeconds = 15, AcquireTime = skewed, RenewTime = skewed },
        }, Namespace);
        var firstSeen = _clock.Now;

        var a = Start(options);

        await _clock.AdvanceUntilAsync(() => a.Started.Task.IsCompleted, 2 * options.LeaseDuration, "took over the abandoned Lease");
        Assert.InRange(await a.Started.Task, firstSeen + options.LeaseDuration, firstSeen + options.LeaseDuration + options.RetryPeriod + Slack);
        var lease = await _world.Client.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, Namespace);
        Assert.Equal(User, lease.Spec.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);
    }

    [Fact]
    public async Task A_backward_step_of_the_leaders_wall_clock_does_not_keep_it_leading_past_the_renew_deadline()
    {
        var options = Options();
        var a = Start(options);
        var acquiredAt = await a.Started.Task.WaitAsync(RealWait);
        var stall = _world.Server.Faults.Stall(resource: "leases", ns: Namespace, user: User);
        await _clock.AdvanceUntilAsync(() => stall.Held > 0, options.RenewDeadline, "the renewal reached the stalled server");

        _wall.WallOffset = -TimeSpan.FromHours(1); // NTP sets the clock back while the renewal hangs

        _clock.Time.Advance(acquiredAt + options.RenewDeadline - _clock.Now);
        Assert.Equal(acquiredAt + options.RenewDeadline, await a.Cancelled.Task.WaitAsync(RealWait));
    }

    [Fact]
    public async Task A_forward_step_of_a_candidates_wall_clock_does_not_let_it_take_over_early()
    {
        var options = Options();
        await _world.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = LeaseName },
            Spec = new V1LeaseSpec { HolderIdentity = "other", LeaseDurationSeconds = 15, RenewTime = DateTime.UtcNow },
        }, Namespace);
        var firstSeen = _clock.Now;
        var a = Start(options);
        await _clock.AdvanceUntilAsync(() => _world.Server.Requests.ByUser(User).Any(r => r.Key.Verb == "get"), options.RetryPeriod, "the candidate saw the Lease");

        _wall.WallOffset = TimeSpan.FromHours(1); // NTP sets the clock forward: the Lease looks an hour old

        await _clock.AdvanceUntilAsync(() => a.Started.Task.IsCompleted, 2 * options.LeaseDuration, "took over the abandoned Lease");
        Assert.InRange(await a.Started.Task, firstSeen + options.LeaseDuration, firstSeen + options.LeaseDuration + options.RetryPeriod + Slack);
    }
}
