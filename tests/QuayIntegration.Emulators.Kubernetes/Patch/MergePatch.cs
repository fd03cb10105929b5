using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>RFC 7386 JSON Merge Patch: objects merge recursively, <c>null</c> deletes, everything else (arrays too) replaces.</summary>
public static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject) return patch?.DeepClone();
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null) result.Remove(key);
            else result[key] = Apply(result[key], value);
        }
        return result;
    }
}
