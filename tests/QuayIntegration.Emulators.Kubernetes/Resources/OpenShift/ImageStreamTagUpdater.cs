using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// Writes import results into an ImageStream: spec tag pointing at the source, a tag event prepended to status (newest
/// first), error conditions replaced, and the dockerRepositoryCheck annotation stamped. As openshift-apiserver's
/// imagestreamimport REST does, the stream is the one read when the request began: created if it was absent (409 if
/// someone made it meanwhile), otherwise updated with the resourceVersion read then, so a change made while the
/// registry was queried is a 409 and a stream deleted meanwhile a 404, never merged or made again; a stream already
/// checked once that the import does not change is not written at all.
/// </summary>
public static class ImageStreamTagUpdater
{
    /// <param name="read">The stream as read when the request began; null when there was none.</param>
    public static async Task<JsonObject> ApplyAsync(RequestContext ctx, ResourceType streams, string name, JsonObject? read, IReadOnlyList<ImportResult> results)
    {
        var original = read ?? new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = new JsonObject { ["lookupPolicy"] = new JsonObject { ["local"] = false } },
        };
        var updated = original.Clone();
        var now = Json.Now();
        var generation = (original.At("metadata").Long("generation") ?? 0) + 1;
        var specTags = ListAt(updated.ChildObject("spec"), "tags");
        var statusTags = ListAt(updated.ChildObject("status"), "tags");
        foreach (var r in results)
        {
            var specTag = specTags.OfType<JsonObject>().FirstOrDefault(t => t.Str("name") == r.Tag);
            var statusTag = statusTags.OfType<JsonObject>().FirstOrDefault(t => t.Str("tag") == r.Tag);
            if (statusTag is null) statusTags.Add(statusTag = new JsonObject { ["tag"] = r.Tag, ["items"] = new JsonArray() });
            if (r.Lookup.Success)
            {
                var items = statusTag["items"] as JsonArray ?? [];
                var latest = items.FirstOrDefault();
                // openshift-apiserver's hasTagChanged: the same image at the same reference, imported since the spec
                // tag last changed, leaves the tag as it is.
                var changed = latest is null || specTag?["generation"] is null || latest.Str("image") != r.Lookup.Digest
                              || latest.Str("dockerImageReference") != r.DockerImageReference || specTag.Long("generation") > latest.Long("generation");
                if (changed)
                {
                    SetSpecTag(specTags, specTag, r, generation);
                    AddTagEvent(statusTag, items, r, generation, now);
                }
                else specTag!["importPolicy"] = ImportPolicyOf(r);
                statusTag.Remove("conditions");
            }
            else
            {
                if (specTag is null) SetSpecTag(specTags, null, r, generation);
                // Its hasTagCondition: the same failure again leaves the condition, and its time, as they are.
                var again = (statusTag["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => c.Str("type") == "ImportSuccess" && c.Str("status") == "False"
                    && c.Str("reason") == r.Lookup.Reason && c.Str("message") == r.Lookup.Message) == true;
                if (!again)
                    statusTag["conditions"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "ImportSuccess", ["status"] = "False", ["lastTransitionTime"] = now,
                        ["reason"] = r.Lookup.Reason, ["message"] = r.Lookup.Message, ["generation"] = generation,
                    });
            }
        }
        if (read is null)
        {
            updated.Metadata().ChildObject("annotations")[ImageStreamImportStrategy.DockerRepositoryCheckAnnotation] = now;
            // openshift-apiserver creates it through its internal storage, status and all; the emulator's create drops a
            // new stream's status, as the public endpoint does, so the status follows against the created version.
            var created = (JsonObject)(await ResourceOperations.CreateAsync(ctx.For(streams, "create", ctx.Namespace, null), updated.Clone())).Body;
            var withStatus = created.Clone();
            withStatus.ChildObject("status")["tags"] = updated.At("status", "tags")?.DeepClone();
            return UpdateFrom(ctx, streams, name, withStatus, created);
        }
        var hasAnnotation = read.At("metadata", "annotations", ImageStreamImportStrategy.DockerRepositoryCheckAnnotation) is not null;
        if (hasAnnotation && Json.DeepEquals(updated, read)) return read;
        updated.Metadata().ChildObject("annotations")[ImageStreamImportStrategy.DockerRepositoryCheckAnnotation] = now;
        if (!Json.DeepEquals(updated["spec"], read["spec"])) updated.Metadata()["generation"] = generation;
        return UpdateFrom(ctx, streams, name, updated, read);
    }

    /// <summary>Writes <paramref name="updated"/> over the version <paramref name="from"/> was read at: 409 if it changed since, 404 if it went.</summary>
    private static JsonObject UpdateFrom(RequestContext ctx, ResourceType streams, string name, JsonObject updated, JsonObject from)
    {
        streams.Strategy.Decorate(updated, ctx.For(streams, "update", ctx.Namespace, name));
        return ctx.Server.Store.Update(streams.StorageKey, ctx.Namespace, name, updated, from.At("metadata", "resourceVersion").AsString()!, () => streams.NotFound(name))
               ?? throw streams.Conflict(name);
    }

    /// <summary>
    /// openshift-apiserver's AddTagEventToImageStream: an event for the image and reference at the top of the history
    /// only takes the new generation, one that shares either of them replaces the other in place (its time kept), and
    /// only an event differing in both is put on top.
    /// </summary>
    private static void AddTagEvent(JsonObject statusTag, JsonArray items, ImportResult r, long generation, string now)
    {
        if (items.FirstOrDefault() is JsonObject top)
        {
            var sameImage = top.Str("image") == r.Lookup.Digest;
            var sameReference = top.Str("dockerImageReference") == r.DockerImageReference;
            if (sameImage || sameReference)
            {
                top["image"] = r.Lookup.Digest;
                top["dockerImageReference"] = r.DockerImageReference;
                top["generation"] = generation;
                return;
            }
        }
        var rebuilt = new JsonArray(new JsonObject
        {
            ["created"] = now, ["dockerImageReference"] = r.DockerImageReference, ["image"] = r.Lookup.Digest, ["generation"] = generation,
        });
        foreach (var item in items) rebuilt.Add(item?.DeepClone());
        statusTag["items"] = rebuilt;
    }

    /// <summary>The spec tag pointing at the imported source, keeping its annotations and reference policy.</summary>
    private static void SetSpecTag(JsonArray specTags, JsonObject? specTag, ImportResult r, long generation)
    {
        var newTag = new JsonObject
        {
            ["name"] = r.Tag,
            ["annotations"] = specTag?["annotations"]?.DeepClone(),
            ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = r.From },
            ["generation"] = generation,
            ["importPolicy"] = ImportPolicyOf(r),
            ["referencePolicy"] = specTag?["referencePolicy"]?.DeepClone() ?? r.ReferencePolicy?.DeepClone() ?? new JsonObject { ["type"] = "Source" },
        };
        if (specTag is null) specTags.Add(newTag);
        else specTags[specTags.IndexOf(specTag)] = newTag;
    }

    private static JsonObject ImportPolicyOf(ImportResult r)
    {
        var policy = r.ImportPolicy?.DeepClone() as JsonObject ?? new JsonObject();
        policy["importMode"] ??= "Legacy";
        return policy;
    }

    private static JsonArray ListAt(JsonObject parent, string key)
    {
        if (parent[key] is JsonArray a) return a;
        a = [];
        parent[key] = a;
        return a;
    }
}
