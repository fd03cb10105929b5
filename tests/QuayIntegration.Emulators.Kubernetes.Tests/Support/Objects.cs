using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Autorest;

namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

public static class Objects
{
    /// <summary>CustomObjects answers are JsonElements; tests read them as JSON nodes.</summary>
    public static JsonObject Node(object o) => JsonNode.Parse(o is JsonElement e ? e.GetRawText() : JsonSerializer.Serialize(o))!.AsObject();

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>The Status body of a failed KubernetesClient call.</summary>
    public static JsonObject Status(HttpOperationException e) => JsonNode.Parse(e.Response.Content)!.AsObject();
}
