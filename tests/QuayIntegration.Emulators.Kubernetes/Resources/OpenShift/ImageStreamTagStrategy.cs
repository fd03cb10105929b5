using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// image.openshift.io/v1 ImageStreamTag: a read-only virtual view <c>&lt;stream&gt;:&lt;tag&gt;</c> over ImageStreams, for
/// tags whose status has at least one image.
/// </summary>
public sealed class ImageStreamTagStrategy : ResourceStrategy
{
    public const string ImageStreamsKey = "image.openshift.io/imagestreams";
    public override string? ValidateName(string name) => NameRules.ValidatePathSegment(name);

    public override Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        switch (ctx.Verb)
        {
            case "get":
            {
                var parts = ctx.Name!.Split(':');
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                    throw Errors.BadRequest($"\"{ctx.Name}\" is an invalid ImageStreamTag name: must be of the form <stream_name>:<tag>");
                var stream = ctx.Server.Store.Get(ImageStreamsKey, ctx.Namespace, parts[0]) ?? throw ctx.Type.NotFound(ctx.Name!);
                var view = ViewsOf(stream, ctx.Type).FirstOrDefault(v => v.At("metadata", "name").AsString() == ctx.Name) ?? throw ctx.Type.NotFound(ctx.Name!);
                return Task.FromResult<ApiResult?>(new ApiResult(200, view));
            }
            case "list":
            {
                var streams = ctx.Server.Store.List(ImageStreamsKey, ctx.Namespace);
                return Task.FromResult<ApiResult?>(ListQuery.List(ctx, streams.Items.SelectMany(s => ViewsOf(s, ctx.Type)), streams.Revision));
            }
            default:
                throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        }
    }

    private static IEnumerable<JsonObject> ViewsOf(JsonObject stream, ResourceType type)
    {
        var meta = stream.Metadata();
        foreach (var statusTag in (stream.At("status", "tags") as JsonArray ?? []).OfType<JsonObject>())
        {
            if (statusTag["items"] is not JsonArray { Count: > 0 } items || items[0] is not JsonObject latest) continue;
            var tagName = statusTag.Str("tag")!;
            var specTag = (stream.At("spec", "tags") as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(t => t.Str("name") == tagName);
            yield return new JsonObject
            {
                ["kind"] = type.Kind,
                ["apiVersion"] = type.GroupVersion,
                ["metadata"] = new JsonObject
                {
                    ["name"] = $"{meta.Str("name")}:{tagName}",
                    ["namespace"] = meta.Str("namespace"),
                    ["uid"] = meta.Str("uid"),
                    ["resourceVersion"] = meta.Str("resourceVersion"),
                    ["creationTimestamp"] = latest["created"]?.DeepClone() ?? meta["creationTimestamp"]?.DeepClone(),
                    ["labels"] = meta["labels"]?.DeepClone(),
                    ["annotations"] = specTag?["annotations"]?.DeepClone(),
                },
                ["tag"] = specTag?.DeepClone(),
                ["generation"] = latest["generation"]?.DeepClone() ?? 0,
                ["lookupPolicy"] = stream.At("spec", "lookupPolicy")?.DeepClone() ?? new JsonObject { ["local"] = false },
                ["conditions"] = statusTag["conditions"]?.DeepClone(),
                ["image"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = latest["image"]?.DeepClone(), ["creationTimestamp"] = latest["created"]?.DeepClone() },
                    ["dockerImageReference"] = latest["dockerImageReference"]?.DeepClone(),
                },
            };
        }
    }
}
