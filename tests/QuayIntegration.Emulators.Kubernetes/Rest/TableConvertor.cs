using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Resources;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>The meta.k8s.io/v1 Table that <c>kubectl get</c> asks for with <c>Accept: ...;as=Table</c>.</summary>
public static class TableConvertor
{
    private static readonly TableColumn NameColumn = new("Name", "string", "name", "Name must be unique within a namespace.", 0, o => o.At("metadata", "name")?.DeepClone());
    private static readonly TableColumn AgeColumn = new("Age", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0, o => o.At("metadata", "creationTimestamp")?.DeepClone());

    public static bool Wanted(RequestContext ctx) =>
        ctx.Http.Request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    public static JsonObject ToTable(RequestContext ctx, IEnumerable<JsonObject> items, string resourceVersion, string? next)
    {
        var columns = new List<TableColumn> { NameColumn };
        columns.AddRange(ctx.Type.Strategy.Columns);
        if (!columns.Any(c => c.Name == "Age")) columns.Add(AgeColumn);
        var definitions = new JsonArray();
        foreach (var c in columns)
            definitions.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = c.Description, ["priority"] = c.Priority });
        var rows = new JsonArray();
        var include = ctx.Query("includeObject") ?? "Metadata";
        foreach (var item in items)
        {
            var cells = new JsonArray();
            foreach (var c in columns) cells.Add(c.Type == "date" ? HumanAge(c.Value(item)) : c.Value(item));
            var row = new JsonObject { ["cells"] = cells };
            row["object"] = include switch
            {
                "None" => null,
                "Object" => WithTypeMeta(item, ctx.Type),
                _ => new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = item["metadata"]?.DeepClone(),
                },
            };
            rows.Add(row);
        }
        var meta = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (next is not null) meta["continue"] = next;
        return new JsonObject { ["kind"] = "Table", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = meta, ["columnDefinitions"] = definitions, ["rows"] = rows };
    }

    /// <summary>Date cells are sent as ages ("5m"), as apiserver's table convertors do; kubectl prints cells verbatim.</summary>
    private static JsonNode? HumanAge(JsonNode? value)
    {
        if (value.AsString() is not { } text || !DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
            return value is null ? JsonValue.Create("<unknown>") : value;
        var d = DateTimeOffset.UtcNow - t;
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        string age = d.TotalSeconds < 120 ? $"{(int)d.TotalSeconds}s"
            : d.TotalMinutes < 10 ? (d.Seconds == 0 ? $"{(int)d.TotalMinutes}m" : $"{(int)d.TotalMinutes}m{d.Seconds}s")
            : d.TotalHours < 3 ? $"{(int)d.TotalMinutes}m"
            : d.TotalHours < 8 ? (d.Minutes == 0 ? $"{(int)d.TotalHours}h" : $"{(int)d.TotalHours}h{d.Minutes}m")
            : d.TotalHours < 48 ? $"{(int)d.TotalHours}h"
            : d.TotalDays < 8 ? (d.Hours == 0 ? $"{(int)d.TotalDays}d" : $"{(int)d.TotalDays}d{d.Hours}h")
            : d.TotalDays < 730 ? $"{(int)d.TotalDays}d"
            : $"{(int)(d.TotalDays / 365)}y";
        return JsonValue.Create(age);
    }

    private static JsonObject WithTypeMeta(JsonObject item, ResourceType type)
    {
        var o = item.Clone();
        o["kind"] = type.Kind;
        o["apiVersion"] = type.GroupVersion;
        return o;
    }
}
