using Microsoft.Extensions.Logging;

namespace QuayIntegration.Runtime;

/// <summary>
/// Every line the runtime logs, as source-generated <see cref="LoggerMessageAttribute"/> methods: the template is parsed
/// once at compile time, and nothing (not even the boxing of the arguments) is paid for a level that is off. Event ids
/// 1xxx: informers, 2xxx: controllers, 3xxx: leader election.
/// </summary>
internal static partial class RuntimeLog
{
    [LoggerMessage(1001, LogLevel.Information, "{Resource} is not served by this cluster; looking again in {Delay}")]
    public static partial void KindNotServed(this ILogger log, string resource, TimeSpan delay);

    [LoggerMessage(1002, LogLevel.Information, "Watch of {Resource} expired ({Message}); relisting")]
    public static partial void WatchExpired(this ILogger log, string resource, string message);

    [LoggerMessage(1003, LogLevel.Warning, "List/watch of {Resource} failed ({Error}); relisting in {Delay}")]
    public static partial void ListWatchFailed(this ILogger log, string resource, string error, TimeSpan delay);

    [LoggerMessage(1007, LogLevel.Warning, "Watch of {Resource} turned away ({Error}); watching again from where it was in {Delay}")]
    public static partial void WatchTurnedAway(this ILogger log, string resource, string error, TimeSpan delay);

    [LoggerMessage(1004, LogLevel.Information, "Paged list of {Resource} expired ({Message}); listing in one request")]
    public static partial void PagedListExpired(this ILogger log, string resource, string message);

    [LoggerMessage(1005, LogLevel.Error, "Event handler for {Resource} failed")]
    public static partial void HandlerFailed(this ILogger log, Exception error, string resource);

    // At start-up this says which kind the wait for ready went to; later, a relist after an expired watch.
    [LoggerMessage(1006, LogLevel.Information, "Listed {Count} {Resource} in {Seconds} s")]
    public static partial void Listed(this ILogger log, int count, string resource, double seconds);

    [LoggerMessage(2001, LogLevel.Information, "Starting controller {Controller} with {Workers} workers")]
    public static partial void ControllerStarting(this ILogger log, string controller, int workers);

    [LoggerMessage(2002, LogLevel.Information, "Stopped controller {Controller}")]
    public static partial void ControllerStopped(this ILogger log, string controller);

    /// <summary>An expected failure the reconciler already reported (status, Event, its own log line), or one cut short by shutdown.</summary>
    [LoggerMessage(2003, LogLevel.Debug, "{Controller} {Key}: {Error} (retry {Retry})")]
    public static partial void ReconcileRetried(this ILogger log, string controller, ObjectKey key, string error, int retry);

    [LoggerMessage(2004, LogLevel.Error, "{Controller} {Key} failed (retry {Retry})")]
    public static partial void ReconcileFailed(this ILogger log, Exception error, string controller, ObjectKey key, int retry);

    [LoggerMessage(3001, LogLevel.Information, "Became leader as {Identity} (lease {Namespace}/{Lease})")]
    public static partial void BecameLeader(this ILogger log, string identity, string @namespace, string lease);

    [LoggerMessage(3002, LogLevel.Information, "Controllers stopped {Stopping} after stepping down (margin {Margin})")]
    public static partial void StoppedInTime(this ILogger log, TimeSpan stopping, TimeSpan margin);

    [LoggerMessage(3003, LogLevel.Warning,
        "Controllers took {Stopping} to stop after stepping down, longer than LeaseDuration - RenewDeadline ({Margin}): another replica may have started leading first")]
    public static partial void StoppedLate(this ILogger log, TimeSpan stopping, TimeSpan margin);

    [LoggerMessage(3004, LogLevel.Warning, "Stepping down: lease {Namespace}/{Lease} not renewed for {RenewDeadline}; stopping the controllers")]
    public static partial void SteppingDownNotRenewed(this ILogger log, string @namespace, string lease, TimeSpan renewDeadline);

    [LoggerMessage(3005, LogLevel.Warning, "Stepping down: lease {Namespace}/{Lease} is held by another replica; stopping the controllers")]
    public static partial void SteppingDownTakenOver(this ILogger log, string @namespace, string lease);

    [LoggerMessage(3006, LogLevel.Warning, "Leader election: lease {Namespace}/{Lease} not acquired/renewed: the API server did not answer within {Bound}")]
    public static partial void LeaseAttemptTimedOut(this ILogger log, string @namespace, string lease, TimeSpan bound);

    [LoggerMessage(3007, LogLevel.Warning, "Leader election: lease {Namespace}/{Lease} not acquired/renewed: {Error}")]
    public static partial void LeaseAttemptFailed(this ILogger log, string @namespace, string lease, string error);

    [LoggerMessage(3008, LogLevel.Information, "Released lease {Namespace}/{Lease}")]
    public static partial void LeaseReleased(this ILogger log, string @namespace, string lease);

    [LoggerMessage(3009, LogLevel.Warning, "Could not release lease {Namespace}/{Lease}: {Error}")]
    public static partial void LeaseReleaseFailed(this ILogger log, string @namespace, string lease, string error);
}
