using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

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
        try
        {
            var yaml = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<object>(body);
            var json = new YamlDotNet.Serialization.SerializerBuilder().JsonCompatible().Build().Serialize(yaml);
            return Json.ParseObject(json, "apply configuration");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw Errors.BadRequest($"error decoding YAML: {e.Message}");
        }
    }

    public static JsonObject Merge(JsonObject current, JsonObject applied, ResourceType type)
    {
        var patch = applied.Clone();
        // The applied config names no resourceVersion precondition unless it sets one on purpose.
        return StrategicMergePatch.Apply(current, patch, type.Strategy.ApplySchema);
    }
}
