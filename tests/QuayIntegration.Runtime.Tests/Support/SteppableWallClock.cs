using Microsoft.Extensions.Time.Testing;

namespace QuayIntegration.Runtime.Tests.Support;

/// <summary>
/// A fake clock whose wall time (<see cref="GetUtcNow"/>) can be stepped like a machine's clock set by NTP, while its
/// monotonic time (<see cref="GetTimestamp"/>) and its timers keep following the underlying <see cref="FakeTimeProvider"/>
/// (which moves both together, so it cannot show the difference on its own).
/// </summary>
public sealed class SteppableWallClock(FakeTimeProvider monotonic) : TimeProvider
{
    /// <summary>How far the wall clock has been stepped from the monotonic time.</summary>
    public TimeSpan WallOffset { get; set; }

    public override DateTimeOffset GetUtcNow() => monotonic.GetUtcNow() + WallOffset;
    public override long GetTimestamp() => monotonic.GetTimestamp();
    public override long TimestampFrequency => monotonic.TimestampFrequency;
    public override TimeZoneInfo LocalTimeZone => monotonic.LocalTimeZone;
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        monotonic.CreateTimer(callback, state, dueTime, period);
}
