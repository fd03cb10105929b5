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

/// <summary>
/// image.openshift.io/v1 ImageStream with the history of its tags: read once, fresh from the API server, before an
/// import (the cache keeps only the identity of ImageStreams, and should stay that small).
/// </summary>
public sealed class ImageStreamWithHistory
{
    /// <summary>Its uid and version: the import names both, so that it lands in this stream as it was read, or nowhere.</summary>
    [JsonPropertyName("metadata")] public ImageStreamIdentity? Metadata { get; set; }
    [JsonPropertyName("status")] public ImageStreamHistory? Status { get; set; }
}

public sealed class ImageStreamIdentity
{
    [JsonPropertyName("uid")] public string? Uid { get; set; }
    /// <summary>The version read: the import names it too, so it lands only in the stream as it was judged.</summary>
    [JsonPropertyName("resourceVersion")] public string? ResourceVersion { get; set; }
}

public sealed class ImageStreamHistory
{
    [JsonPropertyName("tags")] public List<NamedTagEventList>? Tags { get; set; }
}

/// <summary>One tag's history, newest first.</summary>
public sealed class NamedTagEventList
{
    [JsonPropertyName("tag")] public string? Tag { get; set; }
    [JsonPropertyName("items")] public List<TagEvent>? Items { get; set; }
}

public sealed class TagEvent
{
    [JsonPropertyName("created")] public DateTime? Created { get; set; }
    [JsonPropertyName("image")] public string? Image { get; set; }
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
    [JsonPropertyName("completionTimestamp")] public DateTime? CompletionTimestamp { get; set; }
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

/// <summary>
/// image.openshift.io/v1 ImageStreamImport (create-only): imports an image into an ImageStream tag. Used after a
/// rewritten Build completes, to bring the pushed Quay image back into the ImageStream.
/// </summary>
public sealed class ImageStreamImport : IKubernetesObject<V1ObjectMeta>
{
    public const string Plural = "imagestreamimports";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{ImageStream.Group}/{ImageStream.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "ImageStreamImport";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public ImageStreamImportSpec Spec { get; set; } = new();
}

public sealed class ImageStreamImportSpec
{
    [JsonPropertyName("import")] public bool Import { get; set; } = true;
    [JsonPropertyName("images")] public List<ImageImportSpec> Images { get; set; } = [];
}

public sealed class ImageImportSpec
{
    [JsonPropertyName("from")] public V1ObjectReference From { get; set; } = new();
    [JsonPropertyName("to")] public V1LocalObjectReference? To { get; set; }
    [JsonPropertyName("importPolicy")] public TagImportPolicy? ImportPolicy { get; set; }
    [JsonPropertyName("referencePolicy")] public TagReferencePolicy? ReferencePolicy { get; set; }
}

public sealed class TagImportPolicy
{
    [JsonPropertyName("insecure")] public bool? Insecure { get; set; }
    [JsonPropertyName("scheduled")] public bool? Scheduled { get; set; }
}

public sealed class TagReferencePolicy
{
    [JsonPropertyName("type")] public string Type { get; set; } = "Source";
}
