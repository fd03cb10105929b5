using System.Text.Json;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Checks that the Build fields the webhook reads or patches have the JSON types of a Build (the API server decodes
/// every object into its Go type before admission, so only a hand-made request gets this wrong). Those are the fields
/// <see cref="BuildOutputTarget"/>, <see cref="BuildAdmissionPolicy"/> and <see cref="BuildOutputPatch"/> touch; the
/// rest of the object is opaque to the webhook and left to the API server.
/// </summary>
public static class BuildShape
{
    private static readonly string[] StrategyMembers = ["dockerStrategy", "sourceStrategy", "customStrategy", "jenkinsPipelineStrategy"];
    private const string At = "request.object";
    private static readonly string[] StrategyPaths = [.. StrategyMembers.Select(member => $"{At}.spec.strategy.{member}")];

    /// <summary>The first field of the wrong type, as a one-line problem; null when the Build can be read.</summary>
    public static string? Problem(JsonElement build)
    {
        var shape = new JsonShape();
        if (build.Member("metadata") is null) return $"{At}.metadata is missing";
        var metadata = shape.Object(build, "metadata", $"{At}.metadata");
        shape.ExpectString(metadata, "namespace", $"{At}.metadata.namespace");
        shape.Object(metadata, "annotations", $"{At}.metadata.annotations");
        shape.Object(metadata, "labels", $"{At}.metadata.labels");

        var spec = shape.Object(build, "spec", $"{At}.spec");
        shape.ExpectString(spec, "serviceAccount", $"{At}.spec.serviceAccount");
        var strategy = shape.Object(spec, "strategy", $"{At}.spec.strategy");
        shape.ExpectString(strategy, "type", $"{At}.spec.strategy.type");
        for (var i = 0; i < StrategyMembers.Length; i++) shape.Object(strategy, StrategyMembers[i], StrategyPaths[i]);

        var output = shape.Object(spec, "output", $"{At}.spec.output");
        var pushSecret = shape.Object(output, "pushSecret", $"{At}.spec.output.pushSecret");
        shape.ExpectString(pushSecret, "name", $"{At}.spec.output.pushSecret.name");
        var to = shape.Object(output, "to", $"{At}.spec.output.to");
        shape.ExpectString(to, "kind", $"{At}.spec.output.to.kind");
        shape.ExpectString(to, "name", $"{At}.spec.output.to.name");
        shape.ExpectString(to, "namespace", $"{At}.spec.output.to.namespace");
        return shape.Problem;
    }
}
