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

    /// <summary>Sets a condition; lastTransitionTime only moves when the status value changes (metav1 convention).</summary>
    public static void Set(List<V1Condition> conditions, string type, bool? status, string reason, string message, long? generation, DateTime now)
    {
        var value = status switch { true => "True", false => "False", null => "Unknown" };
        var existing = conditions.FirstOrDefault(c => c.Type == type);
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
