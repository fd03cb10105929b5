using System.Net;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Operator.Observability;

/// <summary>
/// Every line the operator logs, as source-generated <see cref="LoggerMessageAttribute"/> methods (templates parsed at
/// compile time, nothing paid for a level that is off). Event ids 1xxx: namespaces, 2xxx: the QuayIntegration,
/// 3xxx: the webhook, 4xxx: certificates, 5xxx: hosting and Events. Tokens and Secret data never reach a parameter.
/// </summary>
internal static partial class OperatorLog
{
    [LoggerMessage(1001, LogLevel.Debug, "Verified {Organization} in Quay for {Namespace}")]
    public static partial void OrganizationVerified(this ILogger log, string organization, string @namespace);

    [LoggerMessage(1002, LogLevel.Warning, "Could not save the ownership record of {Namespace} after a failure: {Error}")]
    public static partial void RecordNotSavedAfterFailure(this ILogger log, string @namespace, string error);

    [LoggerMessage(1003, LogLevel.Debug, "Namespace {Namespace} waits: {Reason}")]
    public static partial void NamespaceWaits(this ILogger log, string @namespace, string reason);

    [LoggerMessage(1004, LogLevel.Debug, "Could not write the status of {Namespace}: {Error}")]
    public static partial void StatusNotWritten(this ILogger log, string @namespace, string error);

    [LoggerMessage(1005, LogLevel.Debug, "Namespace {Namespace}: {Error}; retrying")]
    public static partial void NamespaceRetrying(this ILogger log, string @namespace, string error);

    [LoggerMessage(1006, LogLevel.Warning, "Namespace {Namespace} not synced (outcome {Outcome}): {Error}")]
    public static partial void NamespaceNotSynced(this ILogger log, string @namespace, string outcome, string error);

    /// <summary>A failure of a kind no step expects (a bug, most likely): reported like any other, and logged with its stack.</summary>
    [LoggerMessage(1014, LogLevel.Error, "Namespace {Namespace}: unexpected failure")]
    public static partial void UnexpectedSyncFailure(this ILogger log, string @namespace, Exception exception);

    [LoggerMessage(1015, LogLevel.Debug, "Namespace {Namespace} was written by someone else meanwhile ({What}); the patch is computed again from resourceVersion {Version}")]
    public static partial void NamespacePatchRecomputed(this ILogger log, string @namespace, string what, string? version);

    [LoggerMessage(1007, LogLevel.Information, "{Reason} for {Namespace}: {Message}")]
    public static partial void NamespaceChanged(this ILogger log, string reason, string @namespace, string message);

    /// <summary>A namespace's first sync, in one line, as its Synced Event tells it (one line per object would be a dozen per namespace).</summary>
    [LoggerMessage(1012, LogLevel.Information, "Namespace {Namespace} set up with Quay organization {Organization}: {Changes}")]
    public static partial void NamespaceSetUp(this ILogger log, string @namespace, string organization, string changes);

    [LoggerMessage(1008, LogLevel.Debug, "Quay refused or did not find what {Organization} holds ({Error}); looking the organization up")]
    public static partial void RobotsRefused(this ILogger log, string organization, string error);

    [LoggerMessage(1009, LogLevel.Information, "Created organization {Organization} for {Namespace}")]
    public static partial void OrganizationCreated(this ILogger log, string organization, string @namespace);

    [LoggerMessage(1010, LogLevel.Debug, "The default permission of {Robot} is {Role}, not {Wanted}; it is not the operator's and is left alone")]
    public static partial void ForeignDefaultPermissionLeftAlone(this ILogger log, string robot, string role, string wanted);

    [LoggerMessage(1011, LogLevel.Warning, "Namespace {Namespace} is not synced: {Reason}")]
    public static partial void NamespaceConflict(this ILogger log, string @namespace, string reason);

    [LoggerMessage(1013, LogLevel.Information, "Could not yet record what the Go operator left in {Organization}, kept for namespace {Namespace}: {Error}; recorded at the next look")]
    public static partial void TakeoverInventoryDeferred(this ILogger log, string organization, string @namespace, string error);

    [LoggerMessage(2001, LogLevel.Warning, "QuayIntegration {Name} not ready (outcome {Outcome}): {Message}")]
    public static partial void IntegrationNotReady(this ILogger log, string name, string outcome, string message);

    [LoggerMessage(2005, LogLevel.Warning, "QuayIntegration {Name} {Message}; the others are not held back, and it is judged again in a second")]
    public static partial void IntegrationNotJudged(this ILogger log, string name, string message);

    /// <summary>A failure of a kind the judgement does not expect (a bug, most likely), with its stack.</summary>
    [LoggerMessage(2006, LogLevel.Error, "QuayIntegration {Name}: unexpected failure of its judgement")]
    public static partial void IntegrationJudgementFailed(this ILogger log, string name, Exception exception);

    [LoggerMessage(2002, LogLevel.Information, "Waiting for {Count} namespace(s) to be released before removing the QuayIntegration")]
    public static partial void WaitingForRelease(this ILogger log, int count);

    [LoggerMessage(2003, LogLevel.Information, "Took over {Count} Build(s) the Go Quay Bridge Operator rewrote and had not imported; each is imported when it completes")]
    public static partial void GoOperatorBuildsAdopted(this ILogger log, int count);

    [LoggerMessage(2004, LogLevel.Warning, "Taking over the Builds of the Go Quay Bridge Operator failed ({Error}); retrying in {Delay}")]
    public static partial void GoOperatorBuildsNotAdopted(this ILogger log, string error, TimeSpan delay);

    [LoggerMessage(3004, LogLevel.Debug, "Build {Build} was deleted and created again before it could be marked {Annotation}; the new one is looked at on its own")]
    public static partial void BuildReplacedBeforeMark(this ILogger log, string build, string annotation);

    [LoggerMessage(3001, LogLevel.Error, "Admission of {Resource} in {Namespace} failed")]
    public static partial void AdmissionFailed(this ILogger log, Exception error, string? resource, string? @namespace);

    [LoggerMessage(3002, LogLevel.Information, "Denied {Operation} of {Resource} in {Namespace}: {Message}")]
    public static partial void AdmissionDenied(this ILogger log, string operation, string? resource, string? @namespace, string? message);

    [LoggerMessage(3005, LogLevel.Warning, "Could not read namespace {Namespace} from the API server for an admission review (its builds are denied to be retried; said once a minute at most): {Error}")]
    public static partial void NamespaceUnreadForAdmission(this ILogger log, string @namespace, string error);

    [LoggerMessage(3003, LogLevel.Debug, "Answered {Status} to {RemoteAddress}: {Answer}")]
    public static partial void AdmissionAnswered(this ILogger log, int status, IPAddress? remoteAddress, string answer);

    /// <summary>The level depends on the fault: a client's mistake is a warning, a connection that gave up is debug.</summary>
    [LoggerMessage(EventId = 3004, Message = "Rejected an admission request from {RemoteAddress}: {Reason}")]
    public static partial void AdmissionRequestRejected(this ILogger log, LogLevel level, IPAddress? remoteAddress, string reason);

    [LoggerMessage(4001, LogLevel.Warning, "Self-managed webhook certificates: {Error}")]
    public static partial void SelfManagedCertificatesFailed(this ILogger log, string error);

    [LoggerMessage(4002, LogLevel.Information, "Issued webhook certificate for {Names} (expires {NotAfter:u})")]
    public static partial void CertificateIssued(this ILogger log, string names, DateTimeOffset notAfter);

    [LoggerMessage(4003, LogLevel.Warning, "Cannot write the webhook certificate to {Dir} ({Error}); relying on the mounted Secret {Secret}")]
    public static partial void CertificateNotWritten(this ILogger log, string dir, string error, string secret);

    [LoggerMessage(4004, LogLevel.Warning, "MutatingWebhookConfiguration {Name} not found; its caBundle is set once it exists")]
    public static partial void WebhookConfigurationMissing(this ILogger log, string name);

    [LoggerMessage(4006, LogLevel.Warning, "Webhook certificate {Path} not found yet; webhook handshakes fail until it appears")]
    public static partial void WebhookCertificateNotYet(this ILogger log, string path);

    [LoggerMessage(4005, LogLevel.Information, "Set the caBundle of MutatingWebhookConfiguration {Name}")]
    public static partial void CaBundleSet(this ILogger log, string name);

    [LoggerMessage(5004, LogLevel.Information, "Starting on .NET {Runtime}, {Code}, {Gc} GC, GC conserve-memory setting {ConserveMemory}, webhook I/O completions {WebhookIo}")]
    public static partial void Starting(this ILogger log, string runtime, string code, string gc, string conserveMemory, string webhookIo);

    [LoggerMessage(5001, LogLevel.Information, "Caches synced")]
    public static partial void CachesSynced(this ILogger log);

    [LoggerMessage(5002, LogLevel.Debug, "Event backlog full; dropped {Reason} on {Kind} {Name}")]
    public static partial void EventDropped(this ILogger log, string reason, string kind, string name);

    [LoggerMessage(5003, LogLevel.Debug, "Could not record event {Reason} on {Kind} {Name}: {Error}")]
    public static partial void EventNotRecorded(this ILogger log, string reason, string kind, string name, string error);
}
