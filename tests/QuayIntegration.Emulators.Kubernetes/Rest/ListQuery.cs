using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>List semantics: selectors, <c>limit</c>/<c>continue</c> and the List envelope.</summary>
public static class ListQuery
{
    public static (LabelSelector Labels, FieldSelector Fields) Selectors(RequestContext ctx) =>
        (LabelSelector.Parse(ctx.Query("labelSelector")),
         FieldSelector.Parse(ctx.Query("fieldSelector"), ctx.Type.Strategy.SelectableFieldNames, ctx.Type.QualifiedResource));

    public static bool Matches(RequestContext ctx, LabelSelector labels, FieldSelector fields, JsonObject obj) =>
        labels.Matches(obj.At("metadata", "labels").StringMap()) && fields.Matches(ctx.Type.Strategy.SelectableFields(obj));

    public static List<JsonObject> Filter(RequestContext ctx, IEnumerable<JsonObject> items)
    {
        var (labels, fields) = Selectors(ctx);
        return items.Where(o => Matches(ctx, labels, fields, o)).ToList();
    }

    public static ApiResult List(RequestContext ctx, IEnumerable<JsonObject>? source = null, long? revision = null)
    {
        List<JsonObject> all;
        long rev;
        if (source is null)
        {
            // The stored objects themselves: filtered, paged and written as they are, never copied.
            (all, rev) = ctx.Server.Store.Snapshot(ctx.Type.StorageKey, ctx.Namespace);
            all = all.Select(o => ctx.Type.Strategy.FromStorage(o, ctx.Type)).ToList();
        }
        else (all, rev) = (source.ToList(), revision ?? ctx.Server.Store.CurrentRevision);
        var (labels, fields) = Selectors(ctx);
        var matching = all.Where(o => Matches(ctx, labels, fields, o)).ToList();

        var listVersion = rev.ToString(CultureInfo.InvariantCulture);
        var start = 0;
        if (ctx.Query("continue") is { Length: > 0 } token)
        {
            var (tokenVersion, lastKey) = DecodeContinue(token);
            if (tokenVersion < ctx.Server.Store.CompactedRevisionForContinue || ctx.Server.Faults.TakeContinueExpiry(ctx.Type))
                throw Errors.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
            listVersion = tokenVersion.ToString(CultureInfo.InvariantCulture);
            start = matching.FindIndex(o => string.CompareOrdinal(SortKey(o), lastKey) > 0);
            if (start < 0) start = matching.Count;
        }
        var limit = ParseLimit(ctx.Query("limit"));
        var page = matching.Skip(start).Take(limit ?? int.MaxValue).ToList();
        string? next = null;
        long? remaining = null;
        if (limit is not null && start + page.Count < matching.Count)
        {
            next = EncodeContinue(long.Parse(listVersion, CultureInfo.InvariantCulture), SortKey(page[^1]));
            remaining = matching.Count - start - page.Count;
        }
        if (TableConvertor.Wanted(ctx)) return new ApiResult(200, TableConvertor.ToTable(ctx, page, listVersion, next));
        return Answer(ctx.Type, page, listVersion, next, remaining);
    }

    /// <summary>A List of <paramref name="items"/>, which are written as they are (<see cref="ApiResult.ListItems"/>).</summary>
    public static ApiResult Answer(ResourceType type, IReadOnlyList<JsonObject> items, string resourceVersion, string? next, long? remaining) =>
        new(200, Envelope(type, resourceVersion, next, remaining)) { ListItems = items, ItemsOmitTypeMeta = type.BuiltIn };

    /// <summary>
    /// Writes a list whose items are kept apart from its envelope (<see cref="ApiResult.ListItems"/>): the envelope's
    /// fields, then each item, without its kind and apiVersion where the list leaves them out.
    /// </summary>
    public static void WriteList(Utf8JsonWriter writer, JsonObject envelope, IReadOnlyList<JsonObject> items, bool omitTypeMeta, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        WriteMembers(writer, envelope, omitTypeMeta: false, options);
        writer.WriteStartArray("items");
        foreach (var item in items)
        {
            writer.WriteStartObject();
            WriteMembers(writer, item, omitTypeMeta, options);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteMembers(Utf8JsonWriter writer, JsonObject obj, bool omitTypeMeta, JsonSerializerOptions options)
    {
        foreach (var (name, value) in obj)
        {
            if (omitTypeMeta && name is "kind" or "apiVersion") continue;
            writer.WritePropertyName(name);
            if (value is null) writer.WriteNullValue();
            else value.WriteTo(writer, options);
        }
    }

    /// <summary>A List's kind, apiVersion and metadata, without its items.</summary>
    private static JsonObject Envelope(ResourceType type, string resourceVersion, string? next, long? remaining)
    {
        var meta = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (next is not null) meta["continue"] = next;
        if (remaining is not null) meta["remainingItemCount"] = remaining;
        return new JsonObject { ["kind"] = type.ListKind, ["apiVersion"] = type.GroupVersion, ["metadata"] = meta };
    }

    private static int? ParseLimit(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) || limit < 0)
            throw Errors.BadRequest($"invalid limit: \"{text}\"");
        return limit == 0 ? null : limit;
    }

    private static string SortKey(JsonObject o) => (o.At("metadata", "namespace").AsString() ?? "") + "/" + o.At("metadata", "name").AsString();

    private static string EncodeContinue(long version, string lastKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = version, ["start"] = lastKey }.ToJsonString()));

    private static (long Version, string LastKey) DecodeContinue(string token)
    {
        try
        {
            var o = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)))!.AsObject();
            return (o.Long("rv") ?? throw new FormatException(), o.Str("start") ?? throw new FormatException());
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw Errors.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
    }
}
