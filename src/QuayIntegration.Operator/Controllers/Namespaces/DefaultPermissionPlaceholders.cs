using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// A default permission for a robot the operator did not create is recorded before it is created, without the id Quay
/// gives it. If the create landed and its id was never saved (a crash, an answer lost, a record write refused), only
/// Quay can tell: removing such an entry without asking would leave the default permission in Quay for good while an
/// Event said it was deleted.
/// </summary>
internal static class DefaultPermissionPlaceholders
{
    /// <summary>
    /// The id of <paramref name="permission"/>; for an entry written ahead without one, the default permission of its
    /// robot (for everyone's new repositories) that no other entry of the record names, saved into the entry. When Quay
    /// has none, the create never landed, or has not yet: within its grace (<see cref="PendingUntil"/>) the entry stays
    /// and <see cref="Resolution.LookAgainAt"/> says until when; after it, the entry goes, and there is nothing to
    /// delete or tell. When it has several (someone added one of their own beside it), which one is the operator's
    /// cannot be told: none is claimed, the entry stays, and <see cref="Resolution.Undecided"/> says why, for the status.
    /// </summary>
    public static async Task<Resolution> IdOrForgetAsync(QuayClient quay, OrganizationRecord entry, DefaultPermissionRecord permission,
        DateTimeOffset now, TimeSpan grace, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(permission.Id)) return new(permission.Id, null);
        var listed = (await quay.ListPrototypesAsync(entry.Name, ct)).ValueOrThrow("list the default permissions of " + entry.Name)!;
        var unclaimed = Unclaimed(listed, entry.DefaultPermissionsOf(permission.Robot).Select(p => p.Id), permission.Robot);
        switch (unclaimed.Count)
        {
            case 0 when PendingUntil(permission, now, grace) is { } until && until > now:
                return new(null, null, until);
            case 0:
                entry.RemoveDefaultPermission(permission);
                return new(null, null);
            case 1 when !MayBeClaimed(permission, now, grace):
                return new(null, SeenTooLate(permission.Robot));
            case 1:
                permission.Id = unclaimed[0].Id;
                return new(permission.Id, null, Claimed: unclaimed[0]);
            default:
                return new(null, Undecidable(permission.Robot, unclaimed.Count));
        }
    }

    /// <summary>The entries of the organization written ahead of a create whose id was never saved.</summary>
    public static List<DefaultPermissionRecord> WrittenAhead(OrganizationRecord entry) =>
        (entry.DefaultPermissions ?? []).Where(p => string.IsNullOrEmpty(p.Id)).ToList();

    /// <summary>
    /// Until when the create written ahead for <paramref name="permission"/> (an entry without id) may still land. A
    /// time ahead of now (a leader's clock behind the writer's, an edit), or none (an entry an earlier version wrote),
    /// counts from now and is set so, to be saved with the record: the wait ends a grace from here rather than never.
    /// </summary>
    public static DateTimeOffset? PendingUntil(DefaultPermissionRecord permission, DateTimeOffset now, TimeSpan grace)
    {
        if (!string.IsNullOrEmpty(permission.Id)) return null;
        if (permission.PendingSince is not { } since || since > now.UtcDateTime) permission.PendingSince = since = now.UtcDateTime;
        return new DateTimeOffset(since, TimeSpan.Zero) + grace;
    }

    /// <summary>
    /// Whether the robot's one default permission no entry names, seen now, may be taken for the create the entry was
    /// written ahead for: while that create may land, and a little after (the look at the grace's end may come late by
    /// a backoff). Seen only later (the operator down, or failing, for longer), it may as well be one the robot's owner
    /// gave it meanwhile: not the operator's to change or delete.
    /// </summary>
    public static bool MayBeClaimed(DefaultPermissionRecord permission, DateTimeOffset now, TimeSpan grace) =>
        ClaimableUntil(permission, now, grace) is not { } until || now <= until;

    /// <summary>Until when <see cref="MayBeClaimed"/> holds for an entry written ahead (null: it has its id).</summary>
    public static DateTimeOffset? ClaimableUntil(DefaultPermissionRecord permission, DateTimeOffset now, TimeSpan grace) =>
        PendingUntil(permission, now, grace) is { } until ? until + (grace < MaxLateLook ? grace : MaxLateLook) : null;

    private static readonly TimeSpan MaxLateLook = TimeSpan.FromMinutes(1);

    /// <summary>Why an entry written ahead is matched to none, for the status: the one seen came too late to tell.</summary>
    public static string SeenTooLate(string robot) =>
        $"the default permission of robot {robot}: the operator's create of it was not seen to land within its grace, and the one no record " +
        "names, seen only after that, may be its owner's; it is not taken as the operator's, and stays";

    /// <summary>
    /// Says in the status what <paramref name="resolved"/> leaves in place for <paramref name="robot"/> (an entry whose
    /// default permission cannot be told, or a create that may still land, looked for again: see <see cref="AwaitLanding"/>).
    /// </summary>
    public static void Report(NamespaceWork work, string robot, Resolution resolved, OnceLanded then, TimeSpan? poll = null)
    {
        if (resolved.Undecided is { } undecided) work.Kept.Add(undecided);
        if (resolved.LookAgainAt is { } until) AwaitLanding(work, robot, until, then, poll);
    }

    /// <summary>
    /// A create of the operator's may still land until <paramref name="until"/>: said in the status, and looked for again
    /// then, or within <paramref name="poll"/> if that is sooner (a teardown polls, so one that lands is deleted soon
    /// after, rather than at the grace's end).
    /// </summary>
    public static void AwaitLanding(NamespaceWork work, string robot, DateTimeOffset until, OnceLanded then, TimeSpan? poll = null)
    {
        work.Kept.Add(AwaitedLanding(robot, until, then));
        var left = until - work.Now;
        work.LookAgainAfter(poll is { } most && left > most ? most : left);
    }

    /// <summary>Why an entry written ahead stays while no default permission answers to it, for the status.</summary>
    private static string AwaitedLanding(string robot, DateTimeOffset until, OnceLanded then) =>
        $"the default permission of robot {robot}: a create of the operator's was not seen to land (its answer was lost, or it was cut short), and Quay may still carry it out; looked for until {until:u}, and " +
        then switch
        {
            OnceLanded.Deleted => "deleted if it appears",
            OnceLanded.Kept => "recorded as the operator's if it appears, kept with what else it made there and removed with it; forgotten if it does not",
            _ => "taken as the operator's if it appears, another created only if it does not",
        };

    /// <summary>What becomes of a default permission whose create may still land, once it does.</summary>
    public enum OnceLanded
    {
        /// <summary>The sync: it is the operator's, and answers to the matrix (another is made only if it never lands).</summary>
        Used,
        /// <summary>A removal: it goes.</summary>
        Deleted,
        /// <summary>An organization kept by policy: it is recorded as the operator's, to go with what else it made there.</summary>
        Kept,
    }

    /// <summary>The default permissions of <paramref name="robot"/> (for everyone's new repositories) whose ids are not among <paramref name="recordedIds"/>.</summary>
    public static List<QuayPrototype> Unclaimed(IEnumerable<QuayPrototype> prototypes, IEnumerable<string?> recordedIds, string robot)
    {
        var recorded = recordedIds.Where(id => !string.IsNullOrEmpty(id)).ToHashSet(StringComparer.Ordinal);
        return prototypes.Where(p => p.ActivatingUser is null && p.Delegate?.Name == robot && !recorded.Contains(p.Id)).ToList();
    }

    /// <summary>Why an entry written ahead is matched to none of the default permissions its robot has, for the status.</summary>
    public static string Undecidable(string robot, int candidates) =>
        $"the default permissions of robot {robot}: the operator created one just before it could note its id, and {candidates} " +
        "that no record names are there now, so which is the operator's cannot be told; they all stay";

    /// <summary>
    /// The entry's id (null: nothing to delete), or why it could not be told (null when it could), or until when a create
    /// of the operator's may still land (null when none may), and the default permission the entry was matched to now
    /// (null when it had its id already, or none was).
    /// </summary>
    public readonly record struct Resolution(string? Id, string? Undecided, DateTimeOffset? LookAgainAt = null, QuayPrototype? Claimed = null);
}
