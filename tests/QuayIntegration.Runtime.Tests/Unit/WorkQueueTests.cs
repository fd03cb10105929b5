using Microsoft.Extensions.Time.Testing;
using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>
/// The work queue's rules; everything that depends on time runs on a fake clock, which fires the queue's timer inside
/// <see cref="FakeTimeProvider.Advance"/>: a key is ready (<see cref="WorkQueue{TKey}.Count"/>) exactly when its time comes.
/// </summary>
public class WorkQueueTests
{
    private static readonly TimeSpan BackoffBase = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);
    private readonly FakeTimeProvider _time = new();

    private WorkQueue<string> NewQueue() => new(new ExponentialBackoffLimiter<string>(BackoffBase, BackoffMax), _time);

    private static async Task<string> Next(WorkQueue<string> q)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var (ok, key) = await q.GetAsync(timeout.Token);
        Assert.True(ok, "expected a key");
        return key;
    }

    /// <summary>Advances the clock to just before <paramref name="delay"/> has passed, checks nothing is ready, then to it.</summary>
    private void AssertReadyAfterExactly(WorkQueue<string> q, TimeSpan delay)
    {
        _time.Advance(delay - Millisecond);
        Assert.Equal(0, q.Count);
        _time.Advance(Millisecond);
        Assert.Equal(1, q.Count);
    }

    [Fact]
    public async Task Duplicate_adds_are_stored_once_in_order()
    {
        using var q = NewQueue();
        q.Add("a");
        q.Add("b");
        q.Add("a");
        Assert.Equal(2, q.Count);
        Assert.Equal("a", await Next(q));
        Assert.Equal("b", await Next(q));
    }

    [Fact]
    public async Task A_key_being_processed_is_not_handed_out_twice_and_is_processed_again_after_done()
    {
        using var q = NewQueue();
        q.Add("a");
        var first = await Next(q);
        q.Add("a"); // changed while being processed
        Assert.Equal(0, q.Count);
        var second = q.GetAsync(CancellationToken.None);
        Assert.False(second.IsCompleted, "handed out while still being processed");
        q.Done(first);
        var (ok, key) = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(ok);
        Assert.Equal("a", key);
    }

    [Fact]
    public async Task Done_without_re_add_does_not_requeue()
    {
        using var q = NewQueue();
        q.Add("a");
        q.Done(await Next(q));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task AddAfter_makes_the_key_ready_exactly_when_its_delay_has_passed()
    {
        using var q = NewQueue();
        q.AddAfter("a", TimeSpan.FromMilliseconds(150));
        Assert.Equal(1, q.WaitingCount);
        AssertReadyAfterExactly(q, TimeSpan.FromMilliseconds(150));
        Assert.Equal("a", await Next(q));
        Assert.Equal(0, q.WaitingCount);
    }

    /// <summary>
    /// Review of 2c028e7 (helper-68): due times followed the wall clock, so a clock stepped back by an hour (NTP, a VM
    /// restored) held every scheduled retry and drift check an hour more, and one stepped forward released them at
    /// once. They follow the monotonic clock, as the timer that fires them does; so does the retry bucket.
    /// </summary>
    [Fact]
    public void A_step_of_the_wall_clock_neither_postpones_nor_releases_what_is_scheduled()
    {
        var wall = new QuayIntegration.Runtime.Tests.Support.SteppableWallClock(_time);
        using var q = new WorkQueue<string>(new ExponentialBackoffLimiter<string>(BackoffBase, BackoffMax), wall);
        q.AddAfter("back", TimeSpan.FromSeconds(10));
        wall.WallOffset = TimeSpan.FromHours(-1);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, q.Count);

        q.AddAfter("forward", TimeSpan.FromSeconds(10));
        wall.WallOffset = TimeSpan.FromHours(1);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, q.Count); // "back" only: "forward" is 9 s away still

        var bucket = new TokenBucketLimiter<string>(qps: 10, burst: 1, wall);
        Assert.Equal(TimeSpan.Zero, bucket.When("k"));
        wall.WallOffset = TimeSpan.FromHours(-2);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, bucket.When("k")); // refilled in the second that passed, not drained by the step
    }

    [Fact]
    public void AddAfter_with_no_delay_adds_at_once()
    {
        using var q = NewQueue();
        q.AddAfter("a", TimeSpan.Zero);
        q.AddAfter("b", TimeSpan.FromSeconds(-1));
        Assert.Equal(2, q.Count);
        Assert.Equal(0, q.WaitingCount);
    }

    [Fact]
    public async Task A_later_AddAfter_does_not_postpone_a_pending_earlier_one()
    {
        using var q = NewQueue();
        q.AddAfter("a", TimeSpan.FromSeconds(30));
        q.AddAfter("a", TimeSpan.FromSeconds(60));
        AssertReadyAfterExactly(q, TimeSpan.FromSeconds(30));
        q.Done(await Next(q));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, q.Count); // the 60 s was covered by the 30 s, not kept as a second visit
    }

    [Fact]
    public async Task Repeated_AddAfter_keeps_one_due_time_per_key_the_earliest()
    {
        using var q = NewQueue();
        q.AddAfter("a", TimeSpan.FromSeconds(30));
        q.AddAfter("a", TimeSpan.FromSeconds(60)); // later: covered by the pending time
        Assert.Equal(1, q.WaitingCount);
        q.AddAfter("a", TimeSpan.FromMilliseconds(50)); // earlier: replaces it
        Assert.Equal(1, q.WaitingCount);

        AssertReadyAfterExactly(q, TimeSpan.FromMilliseconds(50));
        q.Done(await Next(q));
        Assert.Equal(0, q.WaitingCount); // the superseded 30 s and 60 s are no longer waited for
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Many_delayed_keys_come_out_once_each_in_order_of_their_due_times_each_at_its_time()
    {
        using var q = NewQueue();
        // Added in reverse order, each with a superseded later time mixed in.
        for (var i = 99; i >= 0; i--)
        {
            q.AddAfter($"k{i:D3}", TimeSpan.FromMilliseconds(100 + 10 * i) + TimeSpan.FromSeconds(30));
            q.AddAfter($"k{i:D3}", TimeSpan.FromMilliseconds(100 + 10 * i));
        }
        Assert.Equal(100, q.WaitingCount);
        _time.Advance(TimeSpan.FromMilliseconds(99));

        var seen = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(0, q.Count);
            _time.Advance(Millisecond); // k{i} is due now: exactly one key becomes ready
            Assert.Equal(1, q.Count);
            seen.Add(await Next(q));
            _time.Advance(TimeSpan.FromMilliseconds(9));
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"k{i:D3}"), seen);
        Assert.Equal(0, q.WaitingCount);
    }

    [Fact]
    public async Task Rate_limited_adds_wait_the_base_delay_then_twice_as_long_each_time_up_to_the_cap_and_forget_resets()
    {
        using var q = NewQueue();
        foreach (var ms in new[] { 100, 200, 400, 800, 1000, 1000 })
        {
            q.AddRateLimited("a");
            AssertReadyAfterExactly(q, TimeSpan.FromMilliseconds(ms));
            q.Done(await Next(q));
        }
        Assert.Equal(6, q.NumRequeues("a"));

        q.Forget("a");
        Assert.Equal(0, q.NumRequeues("a"));
        q.AddRateLimited("a");
        AssertReadyAfterExactly(q, BackoffBase);
    }

    [Fact]
    public async Task Each_key_backs_off_on_its_own()
    {
        using var q = NewQueue();
        q.AddRateLimited("a");
        AssertReadyAfterExactly(q, TimeSpan.FromMilliseconds(100));
        q.Done(await Next(q));
        q.AddRateLimited("a"); // 200 ms
        q.AddRateLimited("b"); // its first failure: 100 ms
        AssertReadyAfterExactly(q, TimeSpan.FromMilliseconds(100));
        Assert.Equal("b", await Next(q));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal("a", await Next(q));
    }

    [Fact]
    public async Task Shutdown_releases_waiting_workers_and_stops_the_timer()
    {
        using var q = NewQueue();
        q.AddAfter("delayed", TimeSpan.FromSeconds(1));
        var waiting = q.GetAsync(CancellationToken.None);
        q.ShutDown();
        var (ok, _) = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(ok);
        q.Add("late");
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Many_workers_never_process_one_key_concurrently()
    {
        using var q = NewQueue();
        var active = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var processed = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var (ok, key) = await q.GetAsync(stop.Token);
                if (!ok) return;
                if (active.AddOrUpdate(key, 1, (_, n) => n + 1) > 1) Interlocked.Increment(ref overlaps);
                await Task.Yield();
                active.AddOrUpdate(key, 0, (_, n) => n - 1);
                Interlocked.Increment(ref processed);
                q.Done(key);
            }
        })).ToList();
        for (var i = 0; i < 500; i++) q.Add($"k{i % 3}");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((q.Count > 0 || processed == 0) && DateTime.UtcNow < deadline) await Task.Delay(10);
        q.ShutDown();
        await Task.WhenAll(workers);
        Assert.Equal(0, overlaps);
        Assert.True(processed >= 3);
    }
    [Fact]
    public void A_signal_watched_with_a_window_enqueues_its_keys_once_per_burst_after_the_window()
    {
        var controller = new Controller(new NoReconciler(), new ControllerOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, _time);
        var signal = new Signal("counts changed");
        controller.Watches(signal, () => [ObjectKey.Cluster("status")], window: TimeSpan.FromSeconds(1));

        for (var i = 0; i < 100; i++)
        {
            signal.Raise();
            _time.Advance(TimeSpan.FromMilliseconds(5)); // a burst spread over half a second
        }
        Assert.Equal(0, controller.Queue.Count);
        _time.Advance(TimeSpan.FromMilliseconds(499)); // 999 ms after the first raise
        Assert.Equal(0, controller.Queue.Count);
        _time.Advance(Millisecond);
        Assert.Equal(1, controller.Queue.Count);
        Assert.Equal(0, controller.Queue.WaitingCount); // the later raises were covered by the first one's time
    }

    private sealed class NoReconciler : IReconciler
    {
        public string Name => "test";

        public Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct) => Task.FromResult(ReconcileResult.Done);
    }
}
