using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Patch.Apply;

/// <summary>
/// Field ownership as k8s.io/apiserver's fieldmanager and structured-merge-diff's merge.Updater keep it in
/// <c>metadata.managedFields</c>:
/// <list type="bullet">
/// <item><b>Apply</b> (server-side apply): the config is merged into the live object; fields this manager applied
/// before and no longer applies, and that no other manager owns, are removed (prune); the fields the apply changes
/// or adds that another manager owns are conflicts — 409 naming them unless <c>force=true</c>, which takes them from
/// their owners; the applier then owns exactly the fields of its config;</item>
/// <item><b>Update</b> (create, update, non-apply patch): the writer takes the fields it added or changed from
/// everyone else (no conflicts) and owns them besides what it had; removed fields are no one's.</item>
/// </list>
/// Ignored everywhere (stripMeta): apiVersion, kind, metadata name/namespace/uid/resourceVersion/generation/
/// creationTimestamp/selfLink/managedFields/deletion*; plus status for main-resource writes of types with a status
/// subresource and spec for /status writes (the strategies' reset fields). Managers with no fields are dropped.
/// </summary>
public static class FieldManager
{
    private static readonly HashSet<string> Stripped =
    [
        "apiVersion", "kind", "metadata.name", "metadata.namespace", "metadata.uid", "metadata.resourceVersion", "metadata.generation",
        "metadata.creationTimestamp", "metadata.selfLink", "metadata.managedFields", "metadata.deletionTimestamp", "metadata.deletionGracePeriodSeconds",
    ];

    /// <summary>The manager of a non-apply write: <c>fieldManager</c>, else the User-Agent's first word (prefixFromUserAgent).</summary>
    public static string UpdateManagerOf(RequestContext ctx) =>
        ctx.Query("fieldManager") is { Length: > 0 } m ? m
        : ctx.Http.Request.Headers.UserAgent.ToString().Split('/')[0] is { Length: > 0 } agent ? agent : "unknown";

    public static Func<string, bool> IgnoredFor(RequestContext ctx) => dotted =>
        Stripped.Contains(dotted)
        || ctx.Subresource is null && ctx.Type.Strategy.HasStatusSubresource && (dotted == "status" || dotted.StartsWith("status.", StringComparison.Ordinal))
        || ctx.Subresource == "status" && (dotted == "spec" || dotted.StartsWith("spec.", StringComparison.Ordinal));

    /// <summary>Records an Update by the request's manager: <paramref name="written"/> gets its managedFields.</summary>
    public static void RecordUpdate(RequestContext ctx, JsonObject? live, JsonObject written)
    {
        var lists = ctx.Type.Strategy.ApplySchema;
        var ignored = IgnoredFor(ctx);
        var entries = live is null ? [] : ManagedFieldsEntry.Read(live);
        var before = live is null ? FieldSet.Empty : FieldSet.Of(live, lists, ignored);
        var after = FieldSet.Of(written, lists, ignored);
        var (changed, removed) = Compare(live, written, before, after);
        var me = new ManagedFieldsEntry(UpdateManagerOf(ctx), ManagedFieldsEntry.UpdateOperation, ctx.Type.GroupVersion, Json.Now(), SubresourceOf(ctx), FieldSet.Empty);
        if (live is not null && changed.Count == 0 && removed.Count == 0)
        {
            ManagedFieldsEntry.Write(written, entries); // a no-op write changes no ownership (and keeps the resourceVersion)
            return;
        }
        var mine = entries.FirstOrDefault(e => e.Identity == me.Identity)?.Fields ?? FieldSet.Empty;
        var result = entries.Where(e => e.Identity != me.Identity).Select(e => e with { Fields = e.Fields.Except(changed).Except(removed) }).ToList();
        result.Add(me with { Fields = mine.Except(removed).Union(changed) });
        ManagedFieldsEntry.Write(written, result);
    }

    /// <summary>
    /// Server-side apply of <paramref name="config"/> onto <paramref name="live"/> (null: the object is being created):
    /// the merged object with its managedFields, or a 409 listing the conflicts.
    /// </summary>
    public static JsonObject Apply(RequestContext ctx, JsonObject? live, JsonObject config, string manager, bool force)
    {
        var lists = ctx.Type.Strategy.ApplySchema;
        var ignored = IgnoredFor(ctx);
        var entries = live is null ? [] : ManagedFieldsEntry.Read(live);
        var me = new ManagedFieldsEntry(manager, ManagedFieldsEntry.ApplyOperation, ctx.Type.GroupVersion, Json.Now(), SubresourceOf(ctx), FieldSet.Of(config, lists, ignored));
        var previous = entries.FirstOrDefault(e => e.Identity == me.Identity)?.Fields ?? FieldSet.Empty;
        var others = entries.Where(e => e.Identity != me.Identity).ToList();

        var merged = live is null ? config.Clone() : ApplyConfiguration.Merge(live, config, ctx.Type);
        // prune: what this manager stopped applying and nobody else owns goes away.
        var ownedByOthers = others.Aggregate(FieldSet.Empty, (set, e) => set.Union(e.Fields));
        foreach (var path in previous.Except(me.Fields).Except(ownedByOthers).Paths.OrderByDescending(p => p.Count)) FieldSet.Remove(merged, path);

        var before = live is null ? FieldSet.Empty : FieldSet.Of(live, lists, ignored);
        var after = FieldSet.Of(merged, lists, ignored);
        var (changed, removed) = Compare(live, merged, before, after);
        var conflicts = others.Select(e => (Entry: e, Fields: e.Fields.Intersect(changed))).Where(c => c.Fields.Count > 0).ToList();
        if (conflicts.Count > 0 && !force) throw ConflictError(conflicts);
        if (live is not null && changed.Count == 0 && removed.Count == 0 && previous.Count == me.Fields.Count && previous.Except(me.Fields).Count == 0)
        {
            // A no-op apply keeps managedFields (and so the resourceVersion) as they were, timestamps included.
            ManagedFieldsEntry.Write(merged, entries);
            return merged;
        }
        var result = others.Select(e => e with { Fields = e.Fields.Except(changed).Except(removed) }).ToList();
        result.Add(me);
        ManagedFieldsEntry.Write(merged, result);
        return merged;
    }

    /// <summary>typed.Compare: fields added or whose value changed, and fields removed.</summary>
    private static (FieldSet Changed, FieldSet Removed) Compare(JsonObject? live, JsonObject written, FieldSet before, FieldSet after)
    {
        var added = after.Except(before);
        // A list element's own path (".") is about its presence, so it is never "modified" by changes to its fields.
        var modified = after.Intersect(before).Where(path =>
            path[^1] != "." && !Json.DeepEquals(FieldSet.Resolve(live, path, out _), FieldSet.Resolve(written, path, out _)));
        return (added.Union(modified), before.Except(after));
    }

    private static string? SubresourceOf(RequestContext ctx) => ctx.Subresource is "status" ? "status" : null;

    /// <summary>internal/conflict.go NewConflictError: 409 Conflict, one FieldManagerConflict cause per field.</summary>
    private static ApiException ConflictError(List<(ManagedFieldsEntry Entry, FieldSet Fields)> conflicts)
    {
        var all = conflicts.SelectMany(c => c.Fields.Paths.Select(p => (c.Entry, Path: FieldSet.Display(p)))).OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
        var causes = new JsonArray(all.Select(c => (JsonNode?)new JsonObject
        {
            ["reason"] = "FieldManagerConflict", ["message"] = $"conflict with {c.Entry.Describe()}", ["field"] = c.Path,
        }).ToArray());
        string message;
        if (all.Count == 1) message = $"Apply failed with 1 conflict: conflict with {all[0].Entry.Describe()}: {all[0].Path}";
        else
        {
            var lines = new List<string>();
            foreach (var group in all.GroupBy(c => c.Entry.Manager + "\0" + c.Entry.Describe()).OrderBy(g => g.First().Entry.Manager, StringComparer.Ordinal))
            {
                lines.Add($"conflicts with {group.First().Entry.Describe()}:");
                lines.AddRange(group.Select(c => $"- {c.Path}"));
            }
            message = $"Apply failed with {all.Count} conflicts: {string.Join("\n", lines)}";
        }
        return new ApiException(409, "Conflict", message, new JsonObject { ["causes"] = causes });
    }
}
