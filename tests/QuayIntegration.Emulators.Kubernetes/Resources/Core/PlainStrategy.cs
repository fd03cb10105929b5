using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>Types with no server rules beyond the common metadata ones (events.k8s.io Event, RBAC, Deployment).</summary>
public sealed class PlainStrategy(IReadOnlySet<string>? knownFields = null, bool tracksGeneration = false, bool statusSubresource = false,
    StrategicMergeSchema? mergeSchema = null) : ResourceStrategy
{
    public override StrategicMergeSchema? MergeSchema => mergeSchema ?? StrategicMergeSchema.Common;
    public override IReadOnlySet<string>? KnownTopLevelFields => knownFields;
    public override bool TracksGeneration => tracksGeneration;
    public override bool HasStatusSubresource => statusSubresource;

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx)
    {
        if (statusSubresource) obj.Remove("status");
    }
}
