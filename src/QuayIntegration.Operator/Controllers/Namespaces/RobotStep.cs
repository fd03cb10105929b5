using QuayIntegration.Operator.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The robots of the service-account matrix in the current organization and their default permissions, and the
/// removal of what belonged to service accounts that left the matrix. Each service account is handled on its own
/// (<see cref="Isolation"/>): one that fails is reported and the others carry on. Quay calls run in parallel; the record
/// and the observation are updated afterwards, one result at a time.
///
/// A robot this operator created is its own, and so are the default permissions naming it (Quay deletes them with the
/// robot). A robot that existed (Found) is used, never deleted or changed; a default permission the operator creates
/// for it is written into the record before it is created, so that no crash can hide it. A robot found without a
/// record entry is classified by its mark (<see cref="OwnershipMarkers"/>) when, and only when, that matters.
/// </summary>
public sealed class RobotStep(OwnershipRecords records, IOptions<QuayOptions> options, TimeProvider time, ILogger<RobotStep> log)
{
    public async Task RunAsync(NamespaceWork work, CancellationToken ct)
    {
        await EnsureRobotsAsync(work, ct);
        await EnsureDefaultPermissionsAsync(work, ct);
        await RemoveRevokedAsync(work, ct);
    }

    private static async Task EnsureRobotsAsync(NamespaceWork work, CancellationToken ct)
    {
        var observation = work.Observation!;
        bool InPlace(DesiredRobot r) => observation.Credentials.TryGetValue(r.FullName, out var digest) && digest != QuayObservation.NoCredentials;
        // A robot in place that the record does not name: its create's record write may have been lost (a crash in
        // between, a conflict met twice). Read once and recorded by its mark; one gone meanwhile is made again below.
        foreach (var robot in work.Robots.Where(r => InPlace(r) && work.Entry!.Robot(r.FullName) is null).ToList())
        {
            var origin = await Isolation.RunAsync(work, $"service account {robot.ServiceAccount}", () => OriginOfAsync(work, robot.FullName, robot.ServiceAccount, ct));
            if (origin is { Value: null }) observation.RobotDeleted(robot.FullName);
            else if (origin is { Value: Origin.Found }) ReportFound(work, robot);
        }
        var missing = work.Robots.Where(r => !InPlace(r)).ToList();
        var results = await Task.WhenAll(missing.Select(robot =>
            Isolation.RunAsync(work, $"service account {robot.ServiceAccount}", () => CreateOrGetAsync(work, robot, ct))));
        foreach (var (robot, result) in missing.Zip(results))
        {
            if (result is not { Value: var (quayRobot, created) }) continue;
            work.TokenSeen(observation, robot.FullName, quayRobot.Token);
            if (created)
            {
                work.Entry!.SetRobot(robot.FullName, robot.ServiceAccount, Origin.Created, quayRobot.Created);
                observation.PermissionsKnown(robot.FullName, replace: true); // new: holds nothing yet
                work.Changed("RobotCreated", $"Created Quay robot {robot.FullName} for service account {robot.ServiceAccount}");
                continue;
            }
            var origin = Classify(work, quayRobot, robot.ServiceAccount);
            work.Entry!.SetRobot(robot.FullName, robot.ServiceAccount, origin, quayRobot.Created);
            if (origin == Origin.Found) ReportFound(work, robot);
        }
    }

    private static void ReportFound(NamespaceWork work, DesiredRobot robot) =>
        work.Changed("RobotExists", $"Quay robot {robot.FullName} already existed; it is used for service account {robot.ServiceAccount} and never deleted by the operator");

    private static async Task<(QuayRobot Robot, bool Created)> CreateOrGetAsync(NamespaceWork work, DesiredRobot robot, CancellationToken ct)
    {
        var (result, created, operation) = await work.Quay.CreateOrGetRobotAsync(work.Organization, robot.ShortName,
            OwnershipMarkers.RobotDescription(work.Name, robot.ServiceAccount), work.Markers.RobotMetadata(work.Name, robot.ServiceAccount), ct);
        var quayRobot = result.ValueOrThrow(operation);
        if (string.IsNullOrEmpty(quayRobot?.Token))
            throw new QuayOperationException(operation, QuayOutcome.Unexpected, result.StatusCode, "Quay's answer carried no token");
        return (quayRobot, created);
    }

    /// <summary>Created when it carries this cluster's mark; Found when it carries none; another cluster's is never used.</summary>
    private static string Classify(NamespaceWork work, QuayRobot robot, string serviceAccount) =>
        work.Markers.OwnerOfRobot(robot, work.Name, serviceAccount) switch
        {
            MarkedOwner.OtherCluster => throw new OrganizationOfAnotherClusterException(work.Organization, OrganizationOfAnotherClusterException.ClusterOf(robot)),
            _ => work.Markers.OriginOfRobot(robot, work.Name, serviceAccount, work.Entry),
        };

    /// <summary>The robot's origin from the record, or (read once and recorded) from its mark.</summary>
    private static async Task<string?> OriginOfAsync(NamespaceWork work, string robotName, string serviceAccount, CancellationToken ct)
    {
        if (work.Entry!.Robot(robotName) is { } recorded) return recorded.Origin;
        var read = await work.Quay.GetRobotAsync(work.Organization, QuayNames.RobotShortNameOf(robotName), ct);
        if (read.Outcome == QuayOutcome.NotFound) return null;
        var robot = read.ValueOrThrow("read robot " + robotName)!;
        // Unknown (a robot of a service account no longer in the matrix): the one its mark, or an earlier version's
        // description, names.
        if (serviceAccount.Length == 0) serviceAccount = OwnershipMarkers.ServiceAccountOf(robot, work.Name);
        var origin = Classify(work, robot, serviceAccount);
        work.Entry!.SetRobot(robotName, serviceAccount, origin, robot.Created);
        return origin;
    }

    private sealed record PermissionPlan(DesiredRobot Robot, QuayPrototype? Existing, bool Ours, IReadOnlyList<QuayPrototype> Extras)
    {
        /// <summary>This run wrote the placeholder for the plan's create (none was on record from an earlier attempt).</summary>
        public bool WroteAhead { get; init; }
        /// <summary>Quay refused the create outright (<see cref="QuayResult{T}.RefusedOutright"/>): nothing was made.</summary>
        public bool CreateRefused { get; set; }
    }

    private async Task EnsureDefaultPermissionsAsync(NamespaceWork work, CancellationToken ct)
    {
        var entry = work.Entry!;
        var observation = work.Observation!;
        var plans = new List<PermissionPlan>();
        foreach (var robot in work.Robots.Where(r => observation.Credentials.ContainsKey(r.FullName)))
        {
            var matching = observation.Prototypes.Where(p => p.ActivatingUser is null && p.Delegate?.Name == robot.FullName).ToList();
            var recordedIds = entry.DefaultPermissionsOf(robot.FullName).Select(p => p.Id).ToHashSet();
            // Recorded as "about to create" and then found alone: created just before a crash, so it is the operator's.
            // Found beside another that no record names, it cannot be told from someone's: both stay, and it is said.
            var placeholder = entry.DefaultPermissionsOf(robot.FullName).FirstOrDefault(d => string.IsNullOrEmpty(d.Id));
            if (placeholder is not null)
            {
                var unclaimed = DefaultPermissionPlaceholders.Unclaimed(matching, recordedIds, robot.FullName);
                if (unclaimed is [var created] && DefaultPermissionPlaceholders.MayBeClaimed(placeholder, time.GetUtcNow(), options.Value.UnansweredCreateGrace))
                {
                    placeholder.Id = created.Id;
                    recordedIds.Add(created.Id);
                    placeholder = null;
                }
                else if (unclaimed.Count == 1) work.Kept.Add(DefaultPermissionPlaceholders.SeenTooLate(robot.FullName));
                else if (unclaimed.Count > 1) work.Kept.Add(DefaultPermissionPlaceholders.Undecidable(robot.FullName, unclaimed.Count));
            }
            var existing = matching.FirstOrDefault(p => recordedIds.Contains(p.Id)) ?? matching.FirstOrDefault();
            if (existing is not null && existing.Role == robot.Role && matching.Count == 1) continue; // the steady state: no call
            var recorded = existing is not null && recordedIds.Contains(existing.Id);
            var origin = recorded ? null : await Isolation.RunAsync(work, $"service account {robot.ServiceAccount}",
                () => OriginOfAsync(work, robot.FullName, robot.ServiceAccount, ct));
            var ours = recorded || origin is { Value: Origin.Created };
            if (existing is null && !ours && placeholder is not null && !await SettleEarlierCreateAsync(work, robot, placeholder, ct)) continue;
            if (existing is not null && !ours)
            {
                if (existing.Role != robot.Role)
                {
                    log.ForeignDefaultPermissionLeftAlone(robot.FullName, existing.Role, robot.Role);
                    // Said where the namespace's state is read: repositories others make give the robot this role. (Not
                    // while a create of the operator's is unsettled: the one seen may be that.)
                    if (origin is { Value: Origin.Found } && placeholder is null)
                        work.Kept.Add($"the default permission of robot {robot.FullName}: someone else's, {existing.Role} where spec.serviceAccounts " +
                                      $"asks for {robot.Role}; left as it is (remove it in Quay to have the operator give its own)");
                }
                continue;
            }
            // The duplicates an interrupted run may leave: for a robot the operator created, every default permission
            // naming it is its own; for one it found, only those it recorded (it writes each ahead of creating it), so
            // one its owner gave it beside the operator's stays.
            var robotIsOurs = entry.Robot(robot.FullName)?.Origin == Origin.Created;
            var extras = ours ? matching.Where(p => p != existing && (robotIsOurs || recordedIds.Contains(p.Id))).ToList() : [];
            if (existing is not null && existing.Role == robot.Role && extras.Count == 0) continue; // nothing to change: no call
            plans.Add(new PermissionPlan(robot, existing, ours, extras));
        }
        if (plans.Count == 0) return;

        var added = new List<DefaultPermissionRecord>();
        for (var i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            if (plan.Existing is not null || plan.Ours) continue;
            // Timed from the write ahead, not from the reconcile's start: the grace covers what may follow it.
            var writtenAhead = time.GetUtcNow().UtcDateTime;
            if (entry.DefaultPermissionsOf(plan.Robot.FullName).FirstOrDefault(d => string.IsNullOrEmpty(d.Id)) is { } earlier)
                earlier.PendingSince = writtenAhead; // settled as never landed (SettleEarlierCreateAsync): it stands for this create alone
            else added.Add(entry.AddDefaultPermission(plan.Robot.FullName, null, writtenAhead));
            plans[i] = plan with { WroteAhead = true };
        }
        if (plans.Any(p => p.WroteAhead)) await WriteAheadAsync(work, added, ct);

        var results = await Task.WhenAll(plans.Select(plan =>
            Isolation.RunAsync(work, $"service account {plan.Robot.ServiceAccount}", () => ApplyAsync(work, plan, ct))));
        // A placeholder written for a create Quay refused outright stands for nothing: kept, it would claim the next
        // default permission someone gives the robot as the operator's. One of an earlier attempt stays (its create may
        // have landed). Withdrawn on record at once, as it was written.
        var withdrawn = false;
        foreach (var (plan, result) in plans.Zip(results))
        {
            if (result is not null || !plan.WroteAhead || !plan.CreateRefused) continue;
            if (entry.DefaultPermissionsOf(plan.Robot.FullName).FirstOrDefault(d => string.IsNullOrEmpty(d.Id)) is { } placeholder)
            {
                entry.RemoveDefaultPermission(placeholder);
                withdrawn = true;
            }
        }
        if (withdrawn) await records.SaveAsync(work.Record, hold: true, ct);
        foreach (var (plan, result) in plans.Zip(results))
        {
            if (result is not { Value: var applied }) continue;
            observation.Prototypes.RemoveAll(p => plan.Extras.Contains(p) || p == plan.Existing);
            observation.AddPrototype(applied);
            if (plan.Existing is null && !plan.Ours)
            {
                var placeholder = entry.DefaultPermissionsOf(plan.Robot.FullName).FirstOrDefault(d => string.IsNullOrEmpty(d.Id));
                if (placeholder is not null) placeholder.Id = applied.Id;
                else entry.AddDefaultPermission(plan.Robot.FullName, applied.Id);
            }
            if (plan.Existing is null)
                work.Changed("DefaultPermissionCreated", $"Gave robot {plan.Robot.FullName} the default permission {plan.Robot.Role}");
            else if (plan.Existing.Role != plan.Robot.Role)
                work.Changed("DefaultPermissionRepaired", $"Changed the default permission of robot {plan.Robot.FullName} back to {plan.Robot.Role}");
        }
    }

    /// <summary>
    /// Writes the record ahead of the creates. Refused for fields an older QuayNamespace schema does not know, or
    /// written without them (<see cref="DroppedRecordFields"/>), no create is sent, and the entries this write added are
    /// withdrawn from the draft, and from the record if it was written: kept, each would stand for a create that was
    /// never sent, with no time to bound its wait, and take the next default permission someone gives the robot for the
    /// operator's.
    /// </summary>
    private async Task WriteAheadAsync(NamespaceWork work, List<DefaultPermissionRecord> added, CancellationToken ct)
    {
        try
        {
            await records.SaveAsync(work.Record, hold: true, ct);
        }
        catch (RecordFieldsDroppedException) when (added.Count > 0)
        {
            // Not cut short by a stop or a lost lease: what was written stands for nothing until this write takes it back.
            foreach (var permission in added) work.Entry!.RemoveDefaultPermission(permission);
            await records.SaveAsync(work.Record, hold: true, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// An earlier create of the operator's for a robot it did not create, with no default permission seen for it: while
    /// it may still land (its grace), nothing more is created (a second one would leave two, the late one on no
    /// record, never deleted), and it is looked for again at the end of the grace. After that, Quay is asked, not the
    /// observation, which may predate a late landing (a failed sync keeps it): the one landed is the operator's (added
    /// to the observation, and judged, role included, at the next sync), several cannot be told apart, none means it
    /// never landed, and the entry goes, so the create now is written ahead anew. True when a create may go ahead.
    /// </summary>
    private async Task<bool> SettleEarlierCreateAsync(NamespaceWork work, DesiredRobot robot, DefaultPermissionRecord placeholder, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var grace = options.Value.UnansweredCreateGrace;
        if (DefaultPermissionPlaceholders.PendingUntil(placeholder, now, grace) is { } until && until > now)
        {
            DefaultPermissionPlaceholders.AwaitLanding(work, robot.FullName, until, DefaultPermissionPlaceholders.OnceLanded.Used);
            return false;
        }
        var settled = await Isolation.RunAsync(work, $"service account {robot.ServiceAccount}",
            () => DefaultPermissionPlaceholders.IdOrForgetAsync(work.Quay, work.Entry!, placeholder, now, grace, ct));
        switch (settled?.Value)
        {
            case null: return false; // the list failed: reported, and retried
            case { Undecided: { } undecided }:
                work.Kept.Add(undecided);
                return false;
            case { Claimed: { } landed }:
                // Into the observation too, which may predate it: judged from there (its role) at the next sync, rather
                // than taken for missing and made again.
                work.Observation!.AddPrototype(landed);
                return false;
            default:
                return true;
        }
    }

    private static async Task<QuayPrototype> ApplyAsync(NamespaceWork work, PermissionPlan plan, CancellationToken ct)
    {
        var (org, robot) = (work.Organization, plan.Robot);
        var result = plan.Existing switch
        {
            null => NotingRefusal(plan, await work.Quay.CreatePrototypeAsync(org, robot.FullName, robot.Role, ct)).ValueOrThrow($"create the default permission of {robot.FullName}")!,
            { } existing when existing.Role != robot.Role =>
                (await work.Quay.UpdatePrototypeAsync(org, existing.Id, robot.Role, ct)).ValueOrThrow($"update the default permission of {robot.FullName}")!,
            { } existing => existing,
        };
        static QuayResult<QuayPrototype> NotingRefusal(PermissionPlan plan, QuayResult<QuayPrototype> result)
        {
            plan.CreateRefused = result.RefusedOutright;
            return result;
        }
        // Quay never de-duplicates default permissions; an interrupted earlier run may have left extras.
        foreach (var extra in plan.Extras)
            (await work.Quay.DeletePrototypeAsync(org, extra.Id, ct)).ValueOrThrow($"delete a duplicate default permission of {robot.FullName}");
        return result;
    }

    /// <summary>
    /// What the operator made for service accounts no longer in the matrix: the robots it created are deleted (Quay
    /// takes their permissions and default permissions with them); for robots it did not create, only the repository
    /// roles (<see cref="GivenPermissions"/>) and default permissions it gave them. In an organization the operator created, a robot nobody wants that the record does not
    /// know is read once: with this operator's mark (a crash before the record, or an installation older than the
    /// record) it goes; otherwise it is recorded as Found and never looked at again.
    /// </summary>
    private async Task RemoveRevokedAsync(NamespaceWork work, CancellationToken ct)
    {
        var entry = work.Entry!;
        var observation = work.Observation!;
        var wanted = work.Robots.Select(r => r.FullName).ToHashSet(StringComparer.Ordinal);
        if (entry.IsOwned())
        {
            foreach (var name in observation.Credentials.Keys.Where(n => !wanted.Contains(n) && entry.Robot(n) is null).ToList())
                await Isolation.RunAsync(work, "robot " + name, () => OriginOfAsync(work, name, "", ct));
        }

        await GiveBackForUnrecordedRobotsAsync(work, wanted, ct);
        foreach (var robot in (entry.Robots ?? []).Where(r => !wanted.Contains(r.Name)).ToList())
        {
            var item = $"robot {robot.Name} of former service account {robot.ServiceAccount}";
            if (robot.Origin == Origin.Created)
            {
                // Read before deleting: one the operator deleted just before a crash may have been made again by someone else.
                var still = await Isolation.RunAsync(work, item, () => StillOursAsync(work, robot.Name, robot.ServiceAccount, ct));
                if (still is null) continue;
                if (still.Value is not { Ours: true })
                {
                    if (still.Value is { } theirs)
                    {
                        entry.SetRobot(robot.Name, robot.ServiceAccount, Origin.Found, theirs.Created);
                        work.Changed("RobotReplaced", $"Quay robot {robot.Name} was deleted and made again by someone else; it is theirs from now " +
                                                      "on, and not deleted with service account " + robot.ServiceAccount);
                    }
                    else entry.RemoveRobot(robot.Name);
                    continue;
                }
                if (await Isolation.RunAsync(work, item, () => DeleteRobotAsync(work, robot.Name, ct)) is null) continue;
                observation.RobotDeleted(robot.Name);
                entry.RemoveRobot(robot.Name);
                foreach (var permission in entry.DefaultPermissionsOf(robot.Name).ToList()) entry.RemoveDefaultPermission(permission);
                work.Changed("RobotDeleted", $"Deleted Quay robot {robot.Name}: service account {robot.ServiceAccount} is no longer in spec.serviceAccounts");
                continue;
            }
            await Isolation.RunAsync(work, item, () => GivenPermissions.GiveBackAsync(work, work.Quay, entry, robot.Name,
                $"service account {robot.ServiceAccount} is no longer in spec.serviceAccounts", observation, ct));
            foreach (var permission in entry.DefaultPermissionsOf(robot.Name).ToList())
            {
                var resolved = await Isolation.RunAsync(work, item, () => DefaultPermissionPlaceholders.IdOrForgetAsync(work.Quay, entry, permission,
                    time.GetUtcNow(), options.Value.UnansweredCreateGrace, ct));
                if (resolved is not { Value: var resolution }) continue;
                DefaultPermissionPlaceholders.Report(work, permission.Robot, resolution, DefaultPermissionPlaceholders.OnceLanded.Deleted);
                if (resolution.Id is not { } id) continue;
                if (await Isolation.RunAsync(work, item, () => DeletePrototypeAsync(work, robot.Name, id, ct)) is null) continue;
                observation.Prototypes.RemoveAll(p => p.Id == permission.Id);
                entry.RemoveDefaultPermission(permission);
                work.Changed("DefaultPermissionDeleted",
                    $"Deleted the default permission the operator gave robot {robot.Name}: service account {robot.ServiceAccount} is no longer in spec.serviceAccounts");
            }
        }
    }

    /// <summary>Only what the record names is given back; a note for a robot it does not name (one not classified yet) too.</summary>
    private static async Task GiveBackForUnrecordedRobotsAsync(NamespaceWork work, HashSet<string> wanted, CancellationToken ct)
    {
        var entry = work.Entry!;
        foreach (var robot in (entry.RepositoryPermissions ?? []).Select(p => p.Robot).Where(r => !wanted.Contains(r) && entry.Robot(r) is null)
                     .Distinct(StringComparer.Ordinal).ToList())
            await Isolation.RunAsync(work, "robot " + robot, () => GivenPermissions.GiveBackAsync(work, work.Quay, entry, robot,
                "its service account is no longer in spec.serviceAccounts", work.Observation, ct));
    }

    /// <summary>Whether the robot carries this operator's mark, and when Quay made it; null when it is gone.</summary>
    private static async Task<(bool Ours, string? Created)?> StillOursAsync(NamespaceWork work, string name, string serviceAccount, CancellationToken ct)
    {
        var read = await work.Quay.GetRobotAsync(work.Organization, QuayNames.RobotShortNameOf(name), ct);
        if (read.Outcome == QuayOutcome.NotFound) return null;
        var robot = read.ValueOrThrow("read robot " + name)!;
        return (Classify(work, robot, serviceAccount) == Origin.Created, robot.Created);
    }

    private static async Task<bool> DeleteRobotAsync(NamespaceWork work, string name, CancellationToken ct) =>
        (await work.Quay.DeleteRobotAsync(work.Organization, QuayNames.RobotShortNameOf(name), ct)).ValueOrThrow($"delete robot {name}");

    private static async Task<bool> DeletePrototypeAsync(NamespaceWork work, string robot, string id, CancellationToken ct) =>
        (await work.Quay.DeletePrototypeAsync(work.Organization, id, ct)).ValueOrThrow($"delete the default permission of {robot}");
}
