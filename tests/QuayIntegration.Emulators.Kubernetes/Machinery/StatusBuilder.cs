using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>The metav1.Status body: <c>{"kind":"Status","apiVersion":"v1","metadata":{},"status",...}</c>.</summary>
public static class StatusBuilder
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details) => new JsonObject()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details?.DeepClone(),
        ["code"] = code,
    }.WithoutNulls();

    public static JsonObject Success(JsonObject? details = null) => new JsonObject()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = details,
    }.WithoutNulls();

    private static JsonObject WithoutNulls(this JsonObject o)
    {
        foreach (var key in o.Where(p => p.Value is null).Select(p => p.Key).ToList()) o.Remove(key);
        return o;
    }
}
