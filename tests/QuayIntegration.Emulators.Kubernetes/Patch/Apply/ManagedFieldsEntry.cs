using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Patch.Apply;

/// <summary>
/// One metav1.ManagedFieldsEntry: who (manager), how (Apply or Update), through which version and subresource, when,
/// and which fields (FieldsV1). The manager identity that conflicts name is everything but the time and the fields,
/// so the same manager applying and updating counts twice, as in Kubernetes.
/// </summary>
public sealed record ManagedFieldsEntry(string Manager, string Operation, string ApiVersion, string Time, string? Subresource, FieldSet Fields)
{
    public const string ApplyOperation = "Apply";
    public const string UpdateOperation = "Update";

    public (string, string, string, string?) Identity => (Manager, Operation, ApiVersion, Subresource);

    public static List<ManagedFieldsEntry> Read(JsonObject obj) =>
        (obj.At("metadata", "managedFields") as JsonArray ?? []).OfType<JsonObject>()
            .Where(e => !string.IsNullOrEmpty(e.Str("manager")) || e.Count > 0)
            .Select(e => new ManagedFieldsEntry(e.Str("manager") ?? "", e.Str("operation") ?? UpdateOperation, e.Str("apiVersion") ?? "",
                e.Str("time") ?? "", e.Str("subresource") is { Length: > 0 } s ? s : null, FieldSet.FromFieldsV1(e["fieldsV1"] as JsonObject)))
            .ToList();

    public static void Write(JsonObject obj, IEnumerable<ManagedFieldsEntry> entries)
    {
        var list = new JsonArray();
        foreach (var e in entries.Where(e => e.Fields.Count > 0))
        {
            var entry = new JsonObject
            {
                ["manager"] = e.Manager, ["operation"] = e.Operation, ["apiVersion"] = e.ApiVersion, ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1", ["fieldsV1"] = e.Fields.ToFieldsV1(),
            };
            if (e.Subresource is not null) entry["subresource"] = e.Subresource;
            list.Add(entry);
        }
        if (list.Count == 0) obj.Metadata().Remove("managedFields");
        else obj.Metadata()["managedFields"] = list;
    }

    /// <summary>internal/conflict.go printManager: Update managers add <c>using &lt;apiVersion&gt; at &lt;time&gt;</c>.</summary>
    public string Describe()
    {
        var text = $"\"{Manager}\"";
        if (Subresource is not null) text += $" with subresource \"{Subresource}\"";
        if (Operation == UpdateOperation) text += Time.Length == 0 ? $" using {ApiVersion}" : $" using {ApiVersion} at {Time}";
        return text;
    }
}
