using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Caching;

/// <summary>
/// An ImageStream as its cache keeps it: its name (a repository per stream), whether it is being deleted, and its UID
/// only where something reads it (the Warning Event on a stream whose name Quay would reject; see
/// <see cref="Controllers.ClusterCaches.ToCachedImageStream"/>).
/// </summary>
public sealed class CachedImageStream : CachedObject
{
    public CachedImageStream(string? @namespace, string name, string? resourceVersion, bool deleting, string? uid)
        : base(@namespace, name, resourceVersion)
    {
        Deleting = deleting;
        Uid = uid;
    }

    public bool Deleting { get; }

    public string? Uid { get; }

    /// <summary>The stream as an object an Event can be about (its kind, namespace, name and UID).</summary>
    public ImageStream ToInvolvedObject() =>
        new() { Metadata = new V1ObjectMeta { NamespaceProperty = Namespace, Name = Name, Uid = Uid, ResourceVersion = ResourceVersion } };
}
