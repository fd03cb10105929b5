using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Builds;

/// <summary>Build phases, reasons and the status edits the build controller makes, on the Build as JSON.</summary>
public static class BuildStatusChanges
{
    public const string New = "New";
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Error = "Error";
    public const string Cancelled = "Cancelled";

    public const string PodNameAnnotation = "openshift.io/build.pod-name";

    public static readonly IReadOnlySet<string> TerminalPhases = new HashSet<string> { Complete, Failed, Error, Cancelled };

    public static string PhaseOf(JsonObject build) => build.Str("status", "phase") is { Length: > 0 } phase ? phase : New;

    public static bool IsTerminal(JsonObject build) => TerminalPhases.Contains(PhaseOf(build));

    /// <summary>
    /// Moves the build to <paramref name="phase"/>: the phase's condition becomes True (with the reason and message),
    /// the previous phase's condition becomes False, and <c>status.reason</c>/<c>message</c> follow. Terminal phases
    /// get their completion time and duration in nanoseconds.
    /// </summary>
    public static void Transition(JsonObject build, string phase, string? reason, string? message, DateTimeOffset now, DateTimeOffset? startedAt = null)
    {
        var status = build.Ensure("status");
        status["phase"] = phase;
        SetReason(status, reason, message);
        var time = JsonNodes.KubernetesTime(now);
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        foreach (var condition in conditions.OfType<JsonObject>())
        {
            if (condition.Str("type") != phase && condition.Str("status") == "True")
            {
                condition["status"] = "False";
                condition["lastTransitionTime"] = time;
                condition["lastUpdateTime"] = time;
            }
        }
        SetCondition(conditions, phase, reason, message, time);

        if (phase == Running && status.Str("startTimestamp") is null)
        {
            status["startTimestamp"] = time;
        }
        if (TerminalPhases.Contains(phase))
        {
            var start = startedAt ?? (DateTimeOffset.TryParse(status.Str("startTimestamp"), out var parsed) ? parsed : now);
            status["startTimestamp"] ??= JsonNodes.KubernetesTime(start);
            status["completionTimestamp"] = time;
            status["duration"] = Math.Max(0, (now - start).Ticks) * 100; // int64 nanoseconds, as Go's time.Duration
        }
    }

    /// <summary>Records why the build waits in its phase (e.g. <c>InvalidOutputReference</c>), on the status and on the phase condition.</summary>
    public static bool SetWaitingReason(JsonObject build, string reason, string message, DateTimeOffset now)
    {
        var status = build.Ensure("status");
        if (status.Str("reason") == reason && status.Str("message") == message)
        {
            return false;
        }
        SetReason(status, reason, message);
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        SetCondition(conditions, PhaseOf(build), reason, message, JsonNodes.KubernetesTime(now));
        return true;
    }

    private static void SetReason(JsonObject status, string? reason, string? message)
    {
        if (reason is null)
        {
            status.Remove("reason");
        }
        else
        {
            status["reason"] = reason;
        }
        if (message is null)
        {
            status.Remove("message");
        }
        else
        {
            status["message"] = message;
        }
    }

    private static void SetCondition(JsonArray conditions, string type, string? reason, string? message, string time)
    {
        var condition = conditions.OfType<JsonObject>().FirstOrDefault(c => c.Str("type") == type);
        if (condition is null)
        {
            condition = new JsonObject { ["type"] = type };
            conditions.Add(condition);
        }
        if (condition.Str("status") != "True")
        {
            condition["lastTransitionTime"] = time;
        }
        condition["status"] = "True";
        condition["lastUpdateTime"] = time;
        if (reason is null)
        {
            condition.Remove("reason");
        }
        else
        {
            condition["reason"] = reason;
        }
        if (message is null)
        {
            condition.Remove("message");
        }
        else
        {
            condition["message"] = message;
        }
    }
}
