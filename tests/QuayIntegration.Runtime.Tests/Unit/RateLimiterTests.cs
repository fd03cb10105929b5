using Microsoft.Extensions.Time.Testing;
using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>The retry rate limiters, the token bucket on a fake clock.</summary>
public class RateLimiterTests
{
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);
    private readonly FakeTimeProvider _time = new();

    private static double[] Delays(IRetryRateLimiter<string> limiter, string key, int count) =>
        Enumerable.Range(0, count).Select(_ => limiter.When(key).TotalMilliseconds).ToArray();

    [Fact]
    public void Exponential_backoff_doubles_from_the_base_per_key_caps_at_the_max_and_forget_resets()
    {
        var limiter = new ExponentialBackoffLimiter<string>(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        Assert.Equal([100, 200, 400, 800, 1000, 1000], Delays(limiter, "k", 6));
        Assert.Equal(6, limiter.Failures("k"));
        Assert.Equal(100, limiter.When("other").TotalMilliseconds);
        limiter.Forget("k");
        Assert.Equal(0, limiter.Failures("k"));
        Assert.Equal(100, limiter.When("k").TotalMilliseconds);
    }

    [Fact]
    public void Exponential_backoff_cannot_overflow_after_many_failures()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), ExponentialBackoffLimiter<string>.Delay(TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1), 500));
        Assert.Equal(TimeSpan.FromMinutes(5), ExponentialBackoffLimiter<string>.Delay(TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(5), 61));
    }

    [Fact]
    public void Token_bucket_allows_a_burst_then_spaces_retries_by_one_over_qps()
    {
        var limiter = new TokenBucketLimiter<string>(qps: 10, burst: 2, _time);
        Assert.Equal([0, 0, 100, 200, 300], Delays(limiter, "any", 5));
    }

    [Fact]
    public void Token_bucket_refills_at_qps_and_never_beyond_the_burst()
    {
        var limiter = new TokenBucketLimiter<string>(qps: 10, burst: 2, _time);
        Assert.Equal([0, 0, 100], Delays(limiter, "any", 3)); // one token in debt

        _time.Advance(TimeSpan.FromMilliseconds(100)); // one token back: the debt is paid
        Assert.Equal([100], Delays(limiter, "any", 1));

        _time.Advance(TimeSpan.FromHours(1)); // refilled, but to the burst only
        Assert.Equal([0, 0, 100], Delays(limiter, "any", 3));
    }

    [Fact]
    public void Token_bucket_is_shared_by_all_keys_and_has_no_per_key_state()
    {
        var limiter = new TokenBucketLimiter<string>(qps: 1, burst: 1, _time);
        Assert.Equal(TimeSpan.Zero, limiter.When("a"));
        Assert.Equal(TimeSpan.FromSeconds(1), limiter.When("b"));
        Assert.Equal(0, limiter.Failures("a"));
    }

    [Fact]
    public void The_controllers_limiter_waits_the_longer_of_the_key_backoff_and_the_shared_bucket()
    {
        // As Controller builds it: per-key exponential backoff and an overall bucket.
        var limiter = new MaxOfLimiter<string>(
            new ExponentialBackoffLimiter<string>(TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1)),
            new TokenBucketLimiter<string>(qps: 10, burst: 2, _time));
        Assert.Equal(10, limiter.When("a").TotalMilliseconds); // bucket free, backoff 10 ms
        Assert.Equal(20, limiter.When("a").TotalMilliseconds); // bucket free, backoff 20 ms
        Assert.Equal(100, limiter.When("b").TotalMilliseconds); // bucket empty: 100 ms beats b's 10 ms
        Assert.Equal(2, limiter.Failures("a"));
        limiter.Forget("a");
        Assert.Equal(0, limiter.Failures("a"));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(10, limiter.When("a").TotalMilliseconds);
    }

    [Fact]
    public async Task A_queue_with_the_controllers_limiter_holds_a_key_for_the_bucket_when_the_bucket_is_slower()
    {
        var limiter = new MaxOfLimiter<string>(
            new ExponentialBackoffLimiter<string>(TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1)),
            new TokenBucketLimiter<string>(qps: 1, burst: 1, _time));
        using var q = new WorkQueue<string>(limiter, _time);
        q.AddRateLimited("a"); // the bucket's only token: 10 ms backoff
        q.AddRateLimited("b"); // bucket empty: 1 s
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, q.Count);
        Assert.Equal("a", (await q.GetAsync(CancellationToken.None)).Key);
        _time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(10) - Millisecond);
        Assert.Equal(0, q.Count);
        _time.Advance(Millisecond);
        Assert.Equal("b", (await q.GetAsync(CancellationToken.None)).Key);
    }
}
