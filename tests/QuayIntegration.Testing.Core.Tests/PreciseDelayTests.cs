using System.Diagnostics;

namespace QuayIntegration.Testing.Core.Tests;

public sealed class PreciseDelayTests
{
    /// <summary>A wait that never ends fails the test instead of hanging the run.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task No_wait_ends_before_its_deadline()
    {
        var asked = Enumerable.Range(0, 60).Select(i => TimeSpan.FromMilliseconds(1 + i % 20 + i / 20 * 0.3)).ToList();
        var waits = asked.Select(async delay =>
        {
            var started = Stopwatch.GetTimestamp();
            await PreciseDelay.For(delay).WaitAsync(Bound);
            return Stopwatch.GetElapsedTime(started) - delay;
        }).ToList();
        var early = (await Task.WhenAll(waits)).Where(over => over < TimeSpan.Zero).Select(over => -over.TotalMilliseconds).ToList();
        Assert.True(early.Count == 0, $"{early.Count} waits ended early, by {string.Join(", ", early.Select(ms => ms.ToString("F3")))} ms");
    }

    [Fact]
    public async Task A_wait_is_found_due_near_its_deadline_not_on_the_next_tick_of_a_coarse_clock()
    {
        // Measured where the delay thread finds the wait due, before the hand-off to a busy thread pool, which is not
        // the delay's to answer for. Task.Delay(13) takes 16 ms on a kernel with a 4 ms tick; the median of several
        // waits keeps one slow wake-up on a busy machine from deciding the test.
        var over = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var deadline = Stopwatch.GetTimestamp() + 13 * Stopwatch.Frequency / 1000;
            var dueAt = await PreciseDelay.Timed(deadline, default).WaitAsync(Bound);
            over.Add((dueAt - deadline) * 1000.0 / Stopwatch.Frequency);
        }
        over.Sort();
        Assert.True(over[0] >= 0, $"found due {-over[0]:F3} ms early");
        Assert.True(over[over.Count / 2] < 2, $"median overshoot {over[over.Count / 2]:F2} ms; all: {string.Join(", ", over.Select(o => o.ToString("F2")))}");
    }

    [Fact]
    public async Task An_infinite_wait_lasts_until_cancelled_and_a_negative_one_is_refused()
    {
        using var cts = new CancellationTokenSource();
        var infinite = PreciseDelay.For(Timeout.InfiniteTimeSpan, cts.Token);
        var huge = PreciseDelay.For(TimeSpan.MaxValue, cts.Token);
        await Task.Delay(50);
        Assert.False(infinite.IsCompleted);
        Assert.False(huge.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => infinite.WaitAsync(Bound));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => huge.WaitAsync(Bound));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = PreciseDelay.For(TimeSpan.FromMilliseconds(-2)); });
    }

    [Fact]
    public async Task A_shorter_wait_queued_after_a_long_one_is_not_held_behind_it()
    {
        await PreciseDelay.For(TimeSpan.FromMilliseconds(1)).WaitAsync(Bound);
        // Long enough that a busy machine (CI, 2 cores, other suites beside) cannot blur "held behind it" with "slow".
        var longWait = PreciseDelay.For(TimeSpan.FromSeconds(10));
        // Give the delay thread time to go to sleep until the long wait's deadline.
        await Task.Delay(50);
        var started = Stopwatch.GetTimestamp();
        await PreciseDelay.For(TimeSpan.FromMilliseconds(10)).WaitAsync(Bound);
        Assert.False(longWait.IsCompleted);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5), $"took {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_cancelled_wait_ends_cancelled_at_once_and_leaves_the_others_alone()
    {
        using var cts = new CancellationTokenSource();
        var cancelled = PreciseDelay.For(TimeSpan.FromSeconds(30), cts.Token);
        var other = PreciseDelay.For(TimeSpan.FromMilliseconds(20));
        cts.Cancel();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Bound));
        Assert.Equal(cts.Token, error.CancellationToken);
        await other.WaitAsync(Bound);
        Assert.True(other.IsCompletedSuccessfully);
    }

    [Fact]
    public void Past_deadlines_and_cancelled_tokens_answer_without_queueing()
    {
        Assert.True(PreciseDelay.For(TimeSpan.Zero).IsCompletedSuccessfully);
        Assert.True(PreciseDelay.Until(Stopwatch.GetTimestamp() - 1).IsCompletedSuccessfully);
        var cancelled = PreciseDelay.For(TimeSpan.FromSeconds(1), new CancellationToken(canceled: true));
        Assert.True(cancelled.IsCanceled);
    }
}
