using System.Text.Json;

namespace QuayIntegration.Operator.Webhook;

/// <summary>What a Build's <c>spec.output.to</c> means for the webhook.</summary>
public abstract record BuildOutput
{
    /// <summary>No output, or a DockerImage the user chose: nothing to rewrite and nothing to say.</summary>
    public sealed record NotImageStreamTag : BuildOutput;

    /// <summary>
    /// An output that is invalid (or that no registry could push to): left untouched for the API server's own
    /// validation to answer, never "repaired" into something else; <see cref="Problem"/> goes out as a warning.
    /// </summary>
    public sealed record Invalid(string Problem) : BuildOutput;

    /// <summary>A valid ImageStreamTag: the one case the webhook rewrites.</summary>
    public sealed record ImageStreamTag(ImageStreamTagReference Destination) : BuildOutput;
}

/// <summary>Reads which ImageStreamTag, if any, a Build (as JSON, the shape admission sends) pushes to.</summary>
public static class BuildOutputTarget
{
    public const string ImageStreamTagKind = "ImageStreamTag";
    public const string DockerImageKind = "DockerImage";
    public const string ImageStreamImageKind = "ImageStreamImage";

    /// <summary>The output, its ImageStreamTag namespace defaulting to the Build's (<paramref name="buildNamespace"/>).</summary>
    public static BuildOutput Find(JsonElement build, string buildNamespace)
    {
        if (build.Object("spec")?.Object("output")?.Object("to") is not { } to)
            return new BuildOutput.NotImageStreamTag();
        var kind = to.String("kind");
        switch (kind)
        {
            case DockerImageKind:
                return new BuildOutput.NotImageStreamTag();
            case ImageStreamTagKind:
                var ns = to.String("namespace") is { Length: > 0 } explicitNs ? explicitNs : buildNamespace;
                return ImageStreamTagReference.FromOutputName(ns, to.String("name"), out var problem) is { } destination
                    ? new BuildOutput.ImageStreamTag(destination)
                    : new BuildOutput.Invalid(problem!);
            case ImageStreamImageKind:
                return new BuildOutput.Invalid("an ImageStreamImage output names a digest, which a build cannot push to; use an ImageStreamTag, <imagestream>:<tag>");
            case null or "":
                return new BuildOutput.Invalid($"the output has no kind; it must be {ImageStreamTagKind} or {DockerImageKind}");
            default:
                return new BuildOutput.Invalid($"output kind {UserText.Quote(kind)} is neither {ImageStreamTagKind} nor {DockerImageKind}");
        }
    }

    /// <summary><c>spec.strategy.type</c>, or the strategy member present when type is missing (hand-made reviews).</summary>
    public static string? StrategyOf(JsonElement build)
    {
        if (build.Object("spec")?.Object("strategy") is not { } strategy) return null;
        if (strategy.String("type") is { Length: > 0 } type) return type;
        if (strategy.Object("jenkinsPipelineStrategy") is not null) return "JenkinsPipeline";
        if (strategy.Object("customStrategy") is not null) return "Custom";
        if (strategy.Object("dockerStrategy") is not null) return "Docker";
        if (strategy.Object("sourceStrategy") is not null) return "Source";
        return null;
    }
}
