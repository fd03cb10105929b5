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

    /// <summary>The first field of the wrong type, as a one-line problem; null when the Build can be read.</summary>
    public static string? Problem(JsonElement build)
    {
        var shape = new JsonShape();
        const string at = "request.object";
        if (build.Member("metadata") is null) return $"{at}.metadata is missing";
        var metadata = shape.Object(build, "metadata", $"{at}.metadata");
        shape.String(metadata, "namespace", $"{at}.metadata.namespace");
        shape.Object(metadata, "annotations", $"{at}.metadata.annotations");
        shape.Object(metadata, "labels", $"{at}.metadata.labels");

        var spec = shape.Object(build, "spec", $"{at}.spec");
        shape.String(spec, "serviceAccount", $"{at}.spec.serviceAccount");
        var strategy = shape.Object(spec, "strategy", $"{at}.spec.strategy");
        shape.String(strategy, "type", $"{at}.spec.strategy.type");
        foreach (var member in StrategyMembers) shape.Object(strategy, member, $"{at}.spec.strategy.{member}");

        var output = shape.Object(spec, "output", $"{at}.spec.output");
        var pushSecret = shape.Object(output, "pushSecret", $"{at}.spec.output.pushSecret");
        shape.String(pushSecret, "name", $"{at}.spec.output.pushSecret.name");
        var to = shape.Object(output, "to", $"{at}.spec.output.to");
        shape.String(to, "kind", $"{at}.spec.output.to.kind");
        shape.String(to, "name", $"{at}.spec.output.to.name");
        shape.String(to, "namespace", $"{at}.spec.output.to.namespace");
        return shape.Problem;
    }
}
