using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>A service account of the matrix and the robot that stands for it in the current organization.</summary>
public sealed record DesiredRobot(string ServiceAccount, string Role, string ShortName, string FullName);

/// <summary>
/// Everything one reconcile of a namespace works with: its inputs (read once at the start), the ownership record being
/// updated, what Quay was seen to hold, and what happened (changes for Events, problems that leave the namespace
/// failing, what is kept by policy). The steps read and add to it in order; nothing here outlives the reconcile except
/// through <see cref="Record"/> and <see cref="Observation"/>.
/// </summary>
public sealed class NamespaceWork
{
    public required string Name { get; init; }

    /// <summary>The namespace as last read or patched; null when it is gone.</summary>
    public V1Namespace? Namespace { get; set; }

    /// <summary>The QuayIntegration acted under; null for a release no integration can help with.</summary>
    public IntegrationSnapshot? Integration { get; init; }

    /// <summary>Every QuayIntegration: organizations on another Quay are reached through the integration of that Quay.</summary>
    public required IntegrationSet Integrations { get; init; }

    public string? IntegrationName => Integration?.Name;

    /// <summary>The configuration; null only when no usable QuayIntegration can act (a release without Quay).</summary>
    public IntegrationConfig? Config => Integration?.Config;

    /// <summary>The Quay client; null only when Quay cannot be asked (a release without Quay).</summary>
    public QuayClient? Client => Integration?.Client;

    /// <summary>
    /// The integration that reaches the organizations on <paramref name="host"/>: the one acted under, or another
    /// active integration of that Quay (whose policies then apply to them); null when none does.
    /// </summary>
    public IntegrationSnapshot? IntegrationFor(string host) =>
        Integration is { Client: { } own } current && own.Connection.RegistryHost == host
            ? current
            : Integrations.All.FirstOrDefault(i => i.Mode == IntegrationMode.Active && i.Client?.Connection.RegistryHost == host);

    public QuayClient Quay => Client ?? throw new InvalidOperationException("no Quay client in this reconcile");
    public required OwnershipDraft Record { get; init; }
    public required OwnershipMarkers Markers { get; init; }
    public required DateTimeOffset Now { get; init; }

    /// <summary>The Quay registry host the organizations live on (host[:port]).</summary>
    public string Host => Client?.Connection.RegistryHost ?? "";

    /// <summary>The organization the namespace maps to now (set by the organization step).</summary>
    public string Organization { get; set; } = "";

    /// <summary>The record's entry of the current organization (set by the organization step).</summary>
    public OrganizationRecord? Entry { get; set; }

    /// <summary>
    /// Whether the organization step made the organization in this reconcile: the stored record already names it, as
    /// written ahead (<see cref="Api.Origin.Creating"/>), so nothing about it needs saving before the claim.
    /// </summary>
    public bool OrganizationCreatedNow { get; set; }

    public QuayObservation? Observation { get; set; }

    /// <summary>Whether Quay was read in this reconcile (a drift check), rather than trusted from the last one.</summary>
    public bool Verified { get; set; }

    public IReadOnlyList<DesiredRobot> Robots { get; set; } = [];

    public List<SyncChange> Changes { get; } = [];

    /// <summary>What the rotation decided before the organization step (<see cref="TokenRotationStep.DecideAsync"/>); null when it could not.</summary>
    public RotationDecision? Rotation { get; set; }

    /// <summary>When the robot tokens were last regenerated, and the last rotation request acted on (for the status).</summary>
    public DateTimeOffset? TokensRotatedAt { get; set; }
    public string? RotationRequestHandled { get; set; }

    /// <summary>
    /// What the status is to keep of a rotation Quay refused in part (<see cref="TokenRotationStep"/>), null when none is
    /// left unfinished; only once <see cref="RotationInProgressDecided"/>, else the status keeps what it has.
    /// </summary>
    public RotationInProgress? RotationInProgress { get; private set; }
    public bool RotationInProgressDecided { get; private set; }

    public void DecideRotationInProgress(RotationInProgress? unfinished) => (RotationInProgress, RotationInProgressDecided) = (unfinished, true);

    /// <summary>Whether the record's status holds what the rotation step did, written right after it.</summary>
    public bool RotationRecorded { get; set; }

    /// <summary>The tokens this reconcile regenerated, told with what became of their Secrets (<see cref="TokenRotationStep.Told"/>).</summary>
    public RotatedTokens? Rotated { get; set; }

    /// <summary>The robots (full names) whose Secret the credential step put in place in this reconcile.</summary>
    public HashSet<string> SecretsInPlace { get; } = new(StringComparer.Ordinal);

    /// <summary>Failures confined to one service account or repository: the rest of the namespace still syncs.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>What the operator created and keeps because a policy says so (or because it cannot reach it).</summary>
    public List<string> Kept { get; } = [];

    /// <summary>A failure of this reconcile was reported already (status, Event, counts): the exception that follows only ends it.</summary>
    public bool FailureReported { get; set; }

    /// <summary>Something the operator would remove waits for what someone else put in it: look again later.</summary>
    public bool Blocked { get; set; }

    /// <summary>With <see cref="Blocked"/>, a wait that ends before the drift interval: look again after this at the latest.</summary>
    public TimeSpan? LookAgainWithin { get; private set; }

    public void LookAgainAfter(TimeSpan delay)
    {
        Blocked = true;
        if (LookAgainWithin is null || delay < LookAgainWithin) LookAgainWithin = delay;
    }

    /// <summary>Service accounts of the matrix that do not exist (yet).</summary>
    public List<string> MissingServiceAccounts { get; } = [];

    public void Changed(string reason, string message) => Changes.Add(new SyncChange(reason, message));

    // Robot tokens Quay answered with during this reconcile: the only place the operator holds one.
    private Dictionary<string, string>? _tokens;
    private readonly Lock _tokensLock = new();

    /// <summary>
    /// Quay answered with a robot's token (listed, created, read or regenerated): the observation keeps the digest of
    /// the Secret data it makes, this reconcile the token itself, for the Secret it may have to write. Safe from the
    /// parallel per-robot work of a step.
    /// </summary>
    public void TokenSeen(QuayObservation observation, string robot, string? token)
    {
        var digest = string.IsNullOrEmpty(token) ? QuayObservation.NoCredentials : RobotSecret.DataDigestOf(Host, robot, token);
        lock (_tokensLock)
        {
            observation.Credentials[robot] = digest;
            if (!string.IsNullOrEmpty(token)) (_tokens ??= new(StringComparer.Ordinal))[robot] = token;
        }
    }

    /// <summary>The digest the observation keeps for the robot's credentials, read under the same lock as <see cref="TokenSeen"/> writes it.</summary>
    public UInt128 CredentialsOf(string robot)
    {
        lock (_tokensLock) return Observation!.Credentials.TryGetValue(robot, out var digest) ? digest : QuayObservation.NoCredentials;
    }

    /// <summary>The robot's token if Quay gave it during this reconcile.</summary>
    public string? TokenOf(string robot)
    {
        lock (_tokensLock) return _tokens?.GetValueOrDefault(robot);
    }

    /// <summary>A failure confined to one item; its side decides the reason the namespace's failure is told under (<see cref="ProblemReason"/>).</summary>
    public void Problem(string message, ProblemSide side)
    {
        lock (Problems)
        {
            Problems.Add(message);
            if (side == ProblemSide.Quay) _quayProblems = true;
        }
    }

    private bool _quayProblems;

    /// <summary>
    /// The Event reason of a reconcile that ends with problems: <c>QuaySyncFailed</c> when Quay refused or failed
    /// something, else <c>ClusterUpdateFailed</c> (a Secret of someone else's in the way, the API server refusing a write
    /// or a read), so an administrator looks where the failure is. The message lists every problem either way.
    /// </summary>
    public string ProblemReason => _quayProblems ? "QuaySyncFailed" : "ClusterUpdateFailed";

    /// <summary>A Quay call of this reconcile failed (its item reported as a problem): what Quay holds may differ from the observation.</summary>
    public bool QuayCallFailed { get; set; }

    /// <summary>
    /// Something this reconcile found in Quay says the observation no longer holds (a robot its owner made again since
    /// the last drift check, with a new token and none of the old one's roles): Quay is read again at once.
    /// </summary>
    public bool ObservationOutdated { get; set; }

    public string? Annotation(string key) =>
        Namespace?.Metadata.Annotations is { } a && a.TryGetValue(key, out var v) ? v : null;
}

/// <summary>Where a problem of one item lies: in Quay (refused, failed, changed under the operator) or in the cluster.</summary>
public enum ProblemSide
{
    Quay,
    Cluster,
}
