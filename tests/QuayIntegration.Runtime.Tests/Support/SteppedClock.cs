using Microsoft.Extensions.Time.Testing;

namespace QuayIntegration.Runtime.Tests.Support;

/// <summary>
/// Drives a <see cref="FakeTimeProvider"/> forward in small steps with a short real pause after each, for code whose
/// timers run on the fake clock while its HTTP calls take real time: each call gets to finish between two steps, and
/// an instant the code reaches is known to within one step.
/// </summary>
public sealed class SteppedClock(FakeTimeProvider time)
{
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RealPause = TimeSpan.FromMilliseconds(15);
    /// <summary>Real time allowed for one wait, however much fake time it covers.</summary>
    private static readonly TimeSpan RealLimit = TimeSpan.FromSeconds(60);

    public FakeTimeProvider Time { get; } = time;

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Advances step by step until <paramref name="condition"/> holds; fails after <paramref name="fakeLimit"/> of fake time.</summary>
    public async Task AdvanceUntilAsync(Func<bool> condition, TimeSpan fakeLimit, string what)
    {
        var fakeEnd = Now + fakeLimit;
        var realEnd = DateTime.UtcNow + RealLimit;
        while (!condition())
        {
            if (Now >= fakeEnd) throw new TimeoutException($"{what}: not within {fakeLimit} of fake time");
            if (DateTime.UtcNow >= realEnd) throw new TimeoutException($"{what}: not within {RealLimit} of real time");
            Time.Advance(Step);
            await Task.Delay(RealPause);
        }
    }

    /// <summary>Advances step by step for <paramref name="span"/> of fake time.</summary>
    public async Task AdvanceAsync(TimeSpan span)
    {
        var end = Now + span;
        while (Now < end)
        {
            Time.Advance(Step < end - Now ? Step : end - Now);
            await Task.Delay(RealPause);
        }
    }
}
