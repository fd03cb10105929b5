using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace QuayIntegration.Operator.Api;

/// <summary>image.openshift.io/v1 ImageStream: the operator only needs its identity.</summary>
public sealed class ImageStream : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "image.openshift.io";
    public const string Version = "v1";
    public const string Plural = "imagestreams";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "ImageStream";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
}

/// <summary>build.openshift.io/v1 Build: the fields the webhook and the post-build import touch.</summary>
public sealed class Build : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "build.openshift.io";
    public const string Version = "v1";
    public const string Plural = "builds";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{Group}/{Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Build";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public BuildSpec? Spec { get; set; }
    [JsonPropertyName("status")] public BuildStatus? Status { get; set; }
}

public sealed class BuildSpec
{
    [JsonPropertyName("serviceAccount")] public string? ServiceAccount { get; set; }
    [JsonPropertyName("output")] public BuildOutput? Output { get; set; }
}

public sealed class BuildOutput
{
    [JsonPropertyName("to")] public V1ObjectReference? To { get; set; }
    [JsonPropertyName("pushSecret")] public V1LocalObjectReference? PushSecret { get; set; }
}

public sealed class BuildStatus
{
    [JsonPropertyName("phase")] public string? Phase { get; set; }
    [JsonPropertyName("outputDockerImageReference")] public string? OutputDockerImageReference { get; set; }
    [JsonPropertyName("output")] public BuildStatusOutput? Output { get; set; }
}

public sealed class BuildStatusOutput
{
    [JsonPropertyName("to")] public BuildStatusOutputTo? To { get; set; }
}

public sealed class BuildStatusOutputTo
{
    [JsonPropertyName("imageDigest")] public string? ImageDigest { get; set; }
}
