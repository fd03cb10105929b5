using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>A failure that reaches the client as a Kubernetes <c>Status</c> body with the given HTTP code.</summary>
public sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => StatusBuilder.Failure(Code, Reason, Message, Details);
}
