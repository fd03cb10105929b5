using QuayIntegration.Operator.Runtime;

namespace QuayIntegration.Operator.Tests.Unit;

public class WorkQueueTests
{
    private static WorkQueue<string> NewQueue(TimeSpan? baseDelay = null) =>
        new(new ExponentialBackoffLimiter<string>(baseDelay ?? TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1)));

    private static async Task<string> Next(WorkQueue<string> q)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var (ok, key) = await q.GetAsync(timeout.Token);
        Assert.True(ok, "expected a key");
        return key;
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
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            Assert.False((await q.GetAsync(shortWait.Token)).Ok);
        q.Done(first);
        Assert.Equal("a", await Next(q));
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
    public async Task AddAfter_delays_the_key()
    {
        using var q = NewQueue();
        var started = DateTimeOffset.UtcNow;
        q.AddAfter("a", TimeSpan.FromMilliseconds(150));
        Assert.Equal(0, q.Count);
        Assert.Equal("a", await Next(q));
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromMilliseconds(140));
    }

    [Fact]
    public async Task Repeated_AddAfter_keeps_one_timer_per_key_the_earliest()
    {
        using var q = NewQueue();
        q.AddAfter("a", TimeSpan.FromSeconds(30));
        q.AddAfter("a", TimeSpan.FromSeconds(60)); // later: covered by the pending timer
        Assert.Equal(1, q.WaitingCount);
        q.AddAfter("a", TimeSpan.FromMilliseconds(50)); // earlier: replaces it
        Assert.Equal("a", await Next(q));
        Assert.Equal(0, q.WaitingCount);
    }

    [Fact]
    public async Task Many_delayed_keys_come_out_once_each_in_order_of_their_due_times()
    {
        using var q = NewQueue();
        // Due times anchored to one instant (a delay measured from each call's own "now" would let a preempted loop
        // reorder them), added in reverse order, with superseded later times mixed in.
        var anchor = DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100);
        TimeSpan Until(int i, TimeSpan extra) => anchor + TimeSpan.FromMilliseconds(10 * i) + extra - DateTimeOffset.UtcNow;
        for (var i = 99; i >= 0; i--)
        {
            q.AddAfter($"k{i:D3}", Until(i, TimeSpan.FromSeconds(30)));
            q.AddAfter($"k{i:D3}", Until(i, TimeSpan.Zero));
        }
        Assert.Equal(100, q.WaitingCount);

        var seen = new List<string>();
        for (var i = 0; i < 100; i++) seen.Add(await Next(q));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"k{i:D3}"), seen);
        Assert.Equal(0, q.WaitingCount); // the superseded later times are no longer waited for
    }

    [Fact]
    public async Task Rate_limited_adds_back_off_exponentially_and_forget_resets()
    {
        using var q = NewQueue(TimeSpan.FromMilliseconds(20));
        q.AddRateLimited("a");
        q.Done(await Next(q));
        q.AddRateLimited("a");
        q.Done(await Next(q));
        Assert.Equal(2, q.NumRequeues("a"));
        q.Forget("a");
        Assert.Equal(0, q.NumRequeues("a"));
    }

    [Fact]
    public void Exponential_backoff_doubles_and_caps()
    {
        var limiter = new ExponentialBackoffLimiter<string>(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        Assert.Equal([100, 200, 400, 800, 1000, 1000], Enumerable.Range(0, 6).Select(_ => limiter.When("k").TotalMilliseconds));
        Assert.Equal(100, limiter.When("other").TotalMilliseconds);
        limiter.Forget("k");
        Assert.Equal(100, limiter.When("k").TotalMilliseconds);
        Assert.Equal(TimeSpan.FromSeconds(1), ExponentialBackoffLimiter<string>.Delay(TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1), 500));
    }

    [Fact]
    public void Token_bucket_allows_a_burst_then_spaces_retries()
    {
        var limiter = new TokenBucketLimiter<string>(qps: 10, burst: 2, TimeProvider.System);
        Assert.Equal(TimeSpan.Zero, limiter.When("a"));
        Assert.Equal(TimeSpan.Zero, limiter.When("b"));
        Assert.True(limiter.When("c") > TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Shutdown_releases_waiting_workers()
    {
        using var q = NewQueue();
        var waiting = q.GetAsync(CancellationToken.None);
        q.ShutDown();
        var (ok, _) = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(ok);
        q.Add("late");
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
}
