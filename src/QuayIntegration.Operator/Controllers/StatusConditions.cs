using k8s.Models;

namespace QuayIntegration.Operator.Controllers;

/// <summary>Condition types of the QuayIntegration status, and a setter that keeps transition times stable.</summary>
public static class StatusConditions
{
    public const string Ready = "Ready";
    public const string ConfigurationValid = "ConfigurationValid";
    public const string QuayReachable = "QuayReachable";
    public const string CredentialsValid = "CredentialsValid";
    public const string Progressing = "Progressing";
    public const string NamespaceConflicts = "NamespaceConflicts";

    /// <summary>
    /// The reason of a Ready condition that is False only because some namespaces fail: the integration itself works
    /// (the webhook tells it apart from one that cannot set namespaces up).
    /// </summary>
    public const string NamespacesFailing = "NamespacesFailing";

    /// <summary>
    /// The longest message or error a status carries. Errors are joined from many parts (one per service account or
    /// repository Quay refused): unbounded, thousands of them would make the object too large for the API server to
    /// store, and the status write that says what fails would fail itself.
    /// </summary>
    public const int MaxMessageLength = 4096;

    /// <summary><paramref name="text"/>, cut to <see cref="MaxMessageLength"/> with a note of how much was left out.</summary>
    public static string? Bounded(string? text)
    {
        if (text is null || text.Length <= MaxMessageLength) return text;
        var note = $" … ({text.Length - MaxMessageLength} more characters)";
        return string.Concat(text.AsSpan(0, MaxMessageLength - note.Length), note);
    }

    /// <summary>The condition of that type, or null.</summary>
    public static V1Condition? Find(IEnumerable<V1Condition>? conditions, string type) => conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>Sets a condition; lastTransitionTime only moves when the status value changes (metav1 convention).</summary>
    public static void Set(List<V1Condition> conditions, string type, bool? status, string reason, string message, long? generation, DateTime now)
    {
        message = Bounded(message)!;
        var value = status switch { true => "True", false => "False", null => "Unknown" };
        var existing = Find(conditions, type);
        if (existing is null)
        {
            conditions.Add(new V1Condition { Type = type, Status = value, Reason = reason, Message = message, ObservedGeneration = generation, LastTransitionTime = now });
            return;
        }
        if (existing.Status != value) existing.LastTransitionTime = now;
        existing.Status = value;
        existing.Reason = reason;
        existing.Message = message;
        existing.ObservedGeneration = generation;
    }
}
