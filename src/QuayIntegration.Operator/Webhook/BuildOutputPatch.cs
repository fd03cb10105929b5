using System.Text.Json.Nodes;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// The JSON patch (RFC 6902) that turns a Build's ImageStreamTag output into the Quay DockerImage and records the
/// original tag. Every operation must apply to the Build as sent: a patch that does not apply fails the create with a
/// 500 whatever the failure policy, so a missing parent map is added whole and <c>remove</c> is only emitted for a
/// field that is there.
/// </summary>
public static class BuildOutputPatch
{
    public static JsonArray For(JsonObject build, QuayImageReference image, ImageStreamTagReference destination)
    {
        var to = build["spec"]?["output"]?["to"] as JsonObject
            ?? throw new ArgumentException("the Build has no spec.output.to to rewrite", nameof(build));
        var metadata = build["metadata"] as JsonObject;
        // Operations are added as JsonNode: JsonArray's generic Add<T> is marked as needing run-time code under Native AOT.
        var patch = new JsonArray();

        AddEntries(patch, metadata, "annotations", new Dictionary<string, string>
        {
            [BuildAnnotations.Managed] = "true",
            [BuildAnnotations.DestinationImageStream] = destination.ToString(),
        });
        AddEntries(patch, metadata, "labels", new Dictionary<string, string> { [BuildAnnotations.ManagedBuildLabel] = "true" });

        patch.Add((JsonNode)Operation(to.ContainsKey("kind") ? "replace" : "add", JsonPointer.Of("spec", "output", "to", "kind"), "DockerImage"));
        patch.Add((JsonNode)Operation(to.ContainsKey("name") ? "replace" : "add", JsonPointer.Of("spec", "output", "to", "name"), image.ToString()));
        // A DockerImage output with a namespace is invalid (422), even an empty one.
        if (to.ContainsKey("namespace")) patch.Add((JsonNode)new JsonObject { ["op"] = "remove", ["path"] = JsonPointer.Of("spec", "output", "to", "namespace") });
        return patch;
    }

    /// <summary>Adds map entries one by one when the map exists, else the whole map (a child cannot be added to a missing parent).</summary>
    private static void AddEntries(JsonArray patch, JsonObject? metadata, string map, Dictionary<string, string> entries)
    {
        if (metadata is null)
            throw new ArgumentException("the Build has no metadata", nameof(metadata));
        if (metadata[map] is JsonObject)
        {
            foreach (var (key, value) in entries) patch.Add((JsonNode)Operation("add", JsonPointer.Of("metadata", map, key), value));
            return;
        }
        var whole = new JsonObject();
        foreach (var (key, value) in entries) whole[key] = value;
        // "add" replaces a member that exists with a null value too.
        patch.Add((JsonNode)new JsonObject { ["op"] = "add", ["path"] = JsonPointer.Of("metadata", map), ["value"] = whole });
    }

    private static JsonObject Operation(string op, string path, string value) => new() { ["op"] = op, ["path"] = path, ["value"] = value };
}
