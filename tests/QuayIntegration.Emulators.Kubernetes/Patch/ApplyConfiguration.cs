using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>
/// The apply configuration of server-side apply (YAML or JSON) and how it merges into the live object (keyed lists by
/// their keys); ownership, conflicts and removals are <see cref="Apply.FieldManager"/>'s.
/// </summary>
public static class ApplyConfiguration
{
    public static JsonObject Parse(string body)
    {
        var trimmed = body.TrimStart();
        if (trimmed.StartsWith('{')) return Json.ParseObject(body, "apply configuration");
        // kube-apiserver reads the body with sigs.k8s.io/yaml (go-yaml v2 underneath), which decodes the first document;
        // YamlJson types its scalars the same way (replicas: 2 is a number, "2" a string, yes a boolean).
        JsonNode? document;
        try
        {
            document = YamlJson.Documents(body) is [var first, ..] ? first : null;
        }
        catch (FormatException e)
        {
            throw Errors.BadRequest($"error decoding YAML: {e.Message}");
        }
        return document as JsonObject ?? throw Errors.BadRequest("error decoding apply configuration: expected a YAML mapping");
    }

    public static JsonObject Merge(JsonObject current, JsonObject applied, ResourceType type)
    {
        var patch = applied.Clone();
        // The applied config names no resourceVersion precondition unless it sets one on purpose.
        return StrategicMergePatch.Apply(current, patch, type.Strategy.ApplySchema);
    }
}
