using System.Text.Json.Nodes;

namespace QuayIntegration.Operator.Webhook;

/// <summary>Reads which ImageStreamTag, if any, a Build (as JSON, the shape admission sends) pushes to.</summary>
public static class BuildOutputTarget
{
    public const string ImageStreamTagKind = "ImageStreamTag";

    /// <summary>
    /// The output ImageStreamTag, its namespace defaulting to the Build's (<paramref name="buildNamespace"/>); null
    /// when there is no <c>spec.output</c>, no <c>spec.output.to</c>, or it is another kind (DockerImage).
    /// </summary>
    public static ImageStreamTagReference? Find(JsonObject build, string buildNamespace)
    {
        if (build["spec"] is not JsonObject spec || spec["output"] is not JsonObject output || output["to"] is not JsonObject to) return null;
        if (StringOf(to["kind"]) != ImageStreamTagKind) return null;
        var ns = StringOf(to["namespace"]) is { Length: > 0 } explicitNs ? explicitNs : buildNamespace;
        return ImageStreamTagReference.FromOutputName(ns, StringOf(to["name"]));
    }

    /// <summary><c>spec.strategy.type</c>, or the strategy member present when type is missing (hand-made reviews).</summary>
    public static string? StrategyOf(JsonObject build)
    {
        if (build["spec"] is not JsonObject spec || spec["strategy"] is not JsonObject strategy) return null;
        if (StringOf(strategy["type"]) is { Length: > 0 } type) return type;
        if (strategy["jenkinsPipelineStrategy"] is JsonObject) return "JenkinsPipeline";
        if (strategy["customStrategy"] is JsonObject) return "Custom";
        if (strategy["dockerStrategy"] is JsonObject) return "Docker";
        if (strategy["sourceStrategy"] is JsonObject) return "Source";
        return null;
    }

    internal static string? StringOf(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
