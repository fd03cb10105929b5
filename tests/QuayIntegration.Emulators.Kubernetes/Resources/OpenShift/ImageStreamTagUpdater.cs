using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// Writes import results into an ImageStream (creating it when missing): spec tag pointing at the source, a tag event
/// prepended to status (newest first), error conditions replaced, and the dockerRepositoryCheck annotation stamped.
/// </summary>
public static class ImageStreamTagUpdater
{
    public static async Task<JsonObject> ApplyAsync(RequestContext ctx, ResourceType streams, string name, IReadOnlyList<ImportResult> results)
    {
        var streamCtx = ctx.For(streams, "update", ctx.Namespace, name);
        if (ctx.Server.Store.Get(streams.StorageKey, ctx.Namespace, name) is null)
        {
            try
            {
                await ResourceOperations.CreateAsync(ctx.For(streams, "create", ctx.Namespace, null),
                    new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = new JsonObject { ["lookupPolicy"] = new JsonObject { ["local"] = false } } });
            }
            catch (ApiException e) when (e.Code == 409) { }
        }
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var current = ctx.Server.Store.Get(streams.StorageKey, ctx.Namespace, name) ?? throw streams.NotFound(name);
            var updated = current.Clone();
            var now = Json.Now();
            var generation = (current.At("metadata").Long("generation") ?? 1) + 1;
            var specTags = ListAt(updated.ChildObject("spec"), "tags");
            var statusTags = ListAt(updated.ChildObject("status"), "tags");
            foreach (var r in results)
            {
                var specTag = specTags.OfType<JsonObject>().FirstOrDefault(t => t.Str("name") == r.Tag);
                if (r.Lookup.Success || specTag is null)
                {
                    var referencePolicy = specTag?["referencePolicy"]?.DeepClone() ?? r.ReferencePolicy?.DeepClone() ?? new JsonObject { ["type"] = "Source" };
                    var newTag = new JsonObject
                    {
                        ["name"] = r.Tag,
                        ["annotations"] = specTag?["annotations"]?.DeepClone(),
                        ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = r.From },
                        ["generation"] = generation,
                        ["importPolicy"] = r.ImportPolicy?.DeepClone() ?? new JsonObject(),
                        ["referencePolicy"] = referencePolicy,
                    };
                    if (newTag.At("importPolicy") is JsonObject policy) policy["importMode"] ??= "Legacy";
                    if (specTag is null) specTags.Add(newTag);
                    else specTags[specTags.IndexOf(specTag)] = newTag;
                }
                var statusTag = statusTags.OfType<JsonObject>().FirstOrDefault(t => t.Str("tag") == r.Tag);
                if (statusTag is null) statusTags.Add(statusTag = new JsonObject { ["tag"] = r.Tag, ["items"] = new JsonArray() });
                if (r.Lookup.Success)
                {
                    var items = statusTag["items"] as JsonArray ?? [];
                    var latest = items.FirstOrDefault();
                    if (latest.Str("image") != r.Lookup.Digest || latest.Str("dockerImageReference") != r.DockerImageReference)
                    {
                        var rebuilt = new JsonArray(new JsonObject
                        {
                            ["created"] = now, ["dockerImageReference"] = r.DockerImageReference, ["image"] = r.Lookup.Digest, ["generation"] = generation,
                        });
                        foreach (var item in items) rebuilt.Add(item?.DeepClone());
                        statusTag["items"] = rebuilt;
                    }
                    statusTag.Remove("conditions");
                }
                else
                {
                    statusTag["conditions"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "ImportSuccess", ["status"] = "False", ["lastTransitionTime"] = now,
                        ["reason"] = r.Lookup.Reason, ["message"] = r.Lookup.Message, ["generation"] = generation,
                    });
                }
            }
            updated.Metadata().ChildObject("annotations")[ImageStreamImportStrategy.DockerRepositoryCheckAnnotation] = now;
            if (!Json.DeepEquals(updated["spec"], current["spec"])) updated.Metadata()["generation"] = generation;
            streams.Strategy.Decorate(updated, streamCtx);
            var stored = ctx.Server.Store.Update(streams.StorageKey, ctx.Namespace, name, updated, current.At("metadata", "resourceVersion").AsString()!, () => streams.NotFound(name));
            if (stored is not null) return stored;
        }
        throw streams.Conflict(name);
    }

    private static JsonArray ListAt(JsonObject parent, string key)
    {
        if (parent[key] is JsonArray a) return a;
        a = [];
        parent[key] = a;
        return a;
    }
}
