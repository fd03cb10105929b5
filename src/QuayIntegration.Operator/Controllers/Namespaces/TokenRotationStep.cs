using System.Net;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// Regenerates the tokens of the robots the operator created in the namespace's organization (Quay's
/// <c>…/robots/{short}/regenerate</c>): on request, when the namespace annotation
/// <c>quay.redhat.com/rotate-robot-tokens</c> is set to a value not yet acted on (a timestamp, say), and on schedule,
/// every <c>spec.robotTokenRotationInterval</c>. Quay invalidates the old token at once, so the Secrets are rewritten in
/// the same reconcile (the credential step runs after this one); pods that already pulled keep their images, but a
/// pull or push with the old token fails from that moment. Robots the operator did not create are never rotated.
/// </summary>
public sealed class TokenRotationStep(OwnershipRecords records)
{
    /// <summary>
    /// Whether a rotation is due in this reconcile (asked for and not yet handled, or the schedule's time), as
    /// <see cref="DecideAsync"/> found before the organization step: Quay is then read afresh (<see cref="OrganizationStep"/>),
    /// so a robot of the operator's that someone deleted and made again since the last read is judged before anything
    /// is done to it, its token regenerated above all.
    /// </summary>
    public static bool IsDue(NamespaceWork work) => work.Rotation?.Due == true;

    /// <summary>
    /// Decides, before the organization step, whether a rotation is due. Due by the cached status, the decision is
    /// taken on the status as the API server has it now: the cache may not have seen the status a rotation just wrote,
    /// and a second rotation would invalidate the tokens the first gave the Secrets. When that read is refused, nothing
    /// is decided: the rotation waits (see <see cref="RunAsync"/>), and Quay is not read afresh for it.
    /// </summary>
    public async Task DecideAsync(NamespaceWork work, CancellationToken ct)
    {
        var status = work.Record.Stored?.Status;
        var requested = work.Annotation(WellKnown.RotateTokensAnnotation);
        if (IsDue(work, requested, status))
        {
            try
            {
                status = await records.ReadStatusAsync(work.Name, ct) ?? status;
            }
            catch (KubeApiException e) when (e.Status == HttpStatusCode.Forbidden)
            {
                // An operator image upgraded without its role (get on quaynamespaces) is told what is missing; the rest of
                // the namespace still syncs, and the rotation waits rather than risk being done twice.
                work.Problem($"the robot token rotation waits: reading the QuayNamespace {work.Name} was refused ({e.Message}); " +
                             "the operator's role needs get on quaynamespaces (deploy/base/rbac.yaml)", ProblemSide.Cluster);
                return;
            }
        }
        work.Rotation = new RotationDecision(status, requested, IsDue(work, requested, status));
    }

    private static bool IsDue(NamespaceWork work, string? requested, QuayNamespaceStatus? status) =>
        IsRequested(requested, status) || IsScheduled(work, LastRotation(work, status));

    /// <summary>
    /// Asked for and not handled yet. A value over <see cref="MostKeptAsIs"/> characters that an earlier version kept as
    /// it is counts as handled too, so the upgrade does not rotate the tokens again.
    /// </summary>
    private static bool IsRequested(string? requested, QuayNamespaceStatus? status) =>
        !string.IsNullOrEmpty(requested) && KeyOf(requested) != status?.RotationRequestHandled && requested != status?.RotationRequestHandled;

    /// <summary>The longest annotation value the status keeps as it is.</summary>
    private const int MostKeptAsIs = 128;

    /// <summary>
    /// What the status keeps of a request it handled: the annotation's value as it is, or, past
    /// <see cref="MostKeptAsIs"/> characters, its SHA-256. Anyone who may annotate the namespace chooses the value, up to
    /// the API server's 256 KiB of annotations, which the status has no use for.
    /// </summary>
    private static string KeyOf(string requested) =>
        requested.Length <= MostKeptAsIs ? requested : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requested)));

    private static bool IsScheduled(NamespaceWork work, DateTimeOffset lastRotation) =>
        work.Config!.TokenRotationInterval is { } interval && work.Now - lastRotation >= interval;

    /// <summary>The schedule starts when the operator first sees the namespace's robots.</summary>
    private static DateTimeOffset LastRotation(NamespaceWork work, QuayNamespaceStatus? status) =>
        status?.TokensRotatedAt is { } last ? new DateTimeOffset(last, TimeSpan.Zero) : work.Now;

    public Task RunAsync(NamespaceWork work, CancellationToken ct) =>
        // Undecided when the status could not be read (the problem is told): the rotation waits, its record untouched.
        work.Rotation is { } decision ? RotateAsync(work, decision.Status, decision.Requested, ct) : Task.CompletedTask;

    /// <summary>
    /// The rotation as decided: on the request the decision saw (the claim may since have read a newer namespace, whose
    /// request the watch brings to a reconcile of its own, decided with the same care).
    /// </summary>
    private static async Task RotateAsync(NamespaceWork work, QuayNamespaceStatus? status, string? requested, CancellationToken ct)
    {
        work.RotationRequestHandled = status?.RotationRequestHandled;
        work.TokensRotatedAt = LastRotation(work, status);

        var onRequest = IsRequested(requested, status);
        if (!onRequest && !IsScheduled(work, work.TokensRotatedAt.Value))
        {
            // A rotation left unfinished that is no longer asked for (the annotation removed, the schedule turned off)
            // is forgotten: a later one starts afresh, every robot included.
            if (status?.RotationInProgress is not null) work.DecideRotationInProgress(null);
            return;
        }

        // A retry of a rotation Quay refused in part regenerates only what it has not: each regeneration invalidates
        // the token a Secret was just given. The record of it counts only for the same rotation: the same cause, in
        // the same organization, started from the same last rotation.
        var unfinished = new RotationInProgress
        {
            Cause = onRequest ? RotationInProgress.RequestPrefix + KeyOf(requested!) : RotationInProgress.Scheduled,
            Organization = $"{work.Host}/{work.Organization}",
            Since = KubeTime.ToSecond(work.TokensRotatedAt.Value),
        };
        var done = status?.RotationInProgress is { Robots: { } before } found && found.IsSameRotationAs(unfinished)
            ? before.ToHashSet(StringComparer.Ordinal) : [];
        var observation = work.Observation!;
        var ours = work.Robots.Where(r => work.Entry!.Robot(r.FullName)?.Origin == Origin.Created && observation.Credentials.ContainsKey(r.FullName)
                                          && !done.Contains(r.FullName)).ToList();
        // Every regeneration is waited for, even when Quay fails one as a whole (an outage, a timeout) or the reconcile
        // is cancelled: those that succeeded invalidated their old tokens, so they are recorded and told before
        // anything stops the reconcile.
        var attempts = ours.Select(robot => Isolation.RunAsync(work, $"service account {robot.ServiceAccount}", async () =>
            (await work.Quay.RegenerateRobotTokenAsync(work.Organization, robot.ShortName, ct)).ValueOrThrow($"regenerate the token of {robot.FullName}"))).ToList();
        try
        {
            await Task.WhenAll(attempts);
        }
        catch (Exception)
        {
            // Each attempt is looked at below.
        }
        var rotated = new List<string>();
        var failed = new List<(DesiredRobot Robot, Exception Failure)>();
        foreach (var (robot, attempt) in ours.Zip(attempts))
        {
            if (!attempt.IsCompletedSuccessfully) failed.Add((robot, attempt.Exception?.InnerException ?? new OperationCanceledException(ct)));
            else if (attempt.Result is { Value.Token: { Length: > 0 } token })
            {
                work.TokenSeen(observation, robot.FullName, token);
                rotated.Add(robot.FullName);
            }
            else if (attempt.Result is not null)
            {
                work.Problem($"service account {robot.ServiceAccount}: Quay answered the regeneration of {robot.FullName}'s token without a token", ProblemSide.Quay);
                work.QuayCallFailed = true;
            }
            // else refused, and made a problem of the service account by Isolation
        }
        var why = onRequest ? $"requested by {WellKnown.RotateTokensAnnotation}={UserText.Quote(requested)}" : "spec.robotTokenRotationInterval";
        if (rotated.Count < ours.Count)
        {
            // Retried with the rest of the namespace's problems, the request still pending. Those regenerated lost their
            // old tokens all the same, so they are kept and told.
            var refused = ours.Select(r => r.FullName).Except(rotated, StringComparer.Ordinal).ToList();
            unfinished.Robots = [.. done.Order(StringComparer.Ordinal), .. rotated];
            work.DecideRotationInProgress(unfinished.Robots.Count == 0 ? null : unfinished);
            if (rotated.Count > 0) work.Rotated = new RotatedTokens(rotated, why, refused);
            if (failed.Count == 0) return;
            // Nothing regenerated by this rotation yet, or the reconcile cancelled: the failure stops it, as any other.
            // Otherwise some robots hold new tokens (Quay answered for them, now or in an earlier reconcile), so the
            // failure is the service account's problem, and their Secrets are still written in this reconcile rather
            // than left holding tokens that no longer work.
            if (rotated.Count == 0 && done.Count == 0 || ct.IsCancellationRequested) ExceptionDispatchInfo.Throw(failed[0].Failure);
            foreach (var (robot, failure) in failed) work.Problem($"service account {robot.ServiceAccount}: {failure.Message}", ProblemSide.Quay);
            work.QuayCallFailed = true;
            return;
        }
        work.TokensRotatedAt = work.Now;
        if (onRequest) work.RotationRequestHandled = KeyOf(requested!);
        work.DecideRotationInProgress(null);
        // Told with what became of the Secrets (Told), which the credential step writes later in the reconcile, or not,
        // when the reconcile stops before it. The end of a rotation whose other robots an earlier reconcile regenerated
        // (and told) needs no word of its own.
        if (rotated.Count > 0) work.Rotated = new RotatedTokens(rotated, why, []);
        else if (done.Count == 0) work.Changed("RobotTokensRotated", $"No robot token to rotate ({why}): the operator created none of the namespace's robots");
    }

    /// <summary>What the status keeps: the rotation this reconcile left unfinished, or, when it decided nothing of it, what the status has.</summary>
    public static RotationInProgress? Unfinished(NamespaceWork work, QuayNamespaceStatus? previous) =>
        work.RotationInProgressDecided ? work.RotationInProgress : previous?.RotationInProgress;

    /// <summary>
    /// What a rotation did, once the reconcile knows which robot Secrets hold the new tokens, and what writes those that
    /// do not (<paramref name="rest"/>).
    /// </summary>
    public static string Told(RotatedTokens rotation, IReadOnlySet<string> secretsInPlace, SecretsLeftTo rest = SecretsLeftTo.FailureRetry)
    {
        var told = $"Regenerated the tokens of {string.Join(", ", rotation.Robots)} ({rotation.Why}); Quay invalidated the old tokens at once";
        var stale = string.Join(", ", rotation.Robots.Where(r => !secretsInPlace.Contains(r)));
        told += stale.Length == 0 ? ", and the robot Secrets hold the new ones" : rest switch
        {
            SecretsLeftTo.ImmediateRetry => $"; the Secrets of {stale} are written with the new tokens by the retry, at once (the reconcile met another writer's change)",
            SecretsLeftTo.AfterStop => $"; the Secrets of {stale} are written with the new tokens by the next reconcile, this replica's or another's " +
                                        "(this one was stopped: the operator stopping or its leadership lost), and the old ones no longer work",
            SecretsLeftTo.AfterStopUnrecorded => $"; the Secrets of {stale} were not written with the new tokens, and the old ones no longer work: " +
                                                 "this reconcile was stopped (the operator stopping or its leadership lost) before the namespace's " +
                                                 "status was seen to record the rotation, so the next reconcile regenerates them again (unless that " +
                                                 "write landed all the same) and writes the Secrets",
            _ => $"; the Secrets of {stale} were not written with the new tokens (the namespace's status says why), and the old ones no longer work",
        };
        var refused = string.Join(", ", rotation.Refused);
        return rotation.Refused.Count == 0 ? told
            : rest is SecretsLeftTo.AfterStop or SecretsLeftTo.AfterStopUnrecorded
                ? told + $"; the regeneration of the tokens of {refused} was not finished (cut short by the stop, or refused by Quay), so the next reconcile tries it again"
                : told + $"; the tokens of {refused} were not regenerated (the namespace's status says why), so their regeneration alone is tried again";
    }
}

/// <summary>
/// The status a reconcile's rotation decides on (the API server's when the cached one said a rotation was due), the
/// request it saw on the namespace, and whether one is due.
/// </summary>
public sealed record RotationDecision(QuayNamespaceStatus? Status, string? Requested, bool Due);

/// <summary>What is left to write the robot Secrets a rotation's reconcile did not.</summary>
public enum SecretsLeftTo
{
    /// <summary>The retry of a failure the namespace's status reports.</summary>
    FailureRetry,
    /// <summary>The retry made at once after another writer's change, with no failure to report.</summary>
    ImmediateRetry,
    /// <summary>The next reconcile after a stop or a lost lease, by this replica or the next leader.</summary>
    AfterStop,
    /// <summary>As <see cref="AfterStop"/>, but the stop also kept the rotation out of the status: the next reconcile rotates again.</summary>
    AfterStopUnrecorded,
}

/// <summary>The robots whose tokens a reconcile regenerated, why, and those whose regeneration Quay refused.</summary>
public sealed record RotatedTokens(IReadOnlyList<string> Robots, string Why, IReadOnlyList<string> Refused);
