using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>core/v1 Secret: default type Opaque, stringData folded into data, type immutable, docker config secrets checked.</summary>
public sealed class SecretStrategy : ResourceStrategy
{
    private const int MaxSecretBytes = 1024 * 1024;
    private static readonly HashSet<string> Fields = ["data", "stringData", "type", "immutable"];
    private static readonly HashSet<string> Selectable = ["metadata.name", "metadata.namespace", "type"];

    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override IReadOnlySet<string> SelectableFieldNames => Selectable;

    public override Dictionary<string, string> SelectableFields(JsonObject obj)
    {
        var fields = base.SelectableFields(obj);
        fields["type"] = obj.Str("type") ?? "";
        return fields;
    }

    public override IReadOnlyList<TableColumn> Columns =>
    [
        new("Type", "string", "", "The type of the secret", 0, o => o["type"]?.DeepClone()),
        new("Data", "string", "", "The number of entries in the data", 0, o => (o["data"] as JsonObject)?.Count ?? 0),
    ];

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx)
    {
        if (string.IsNullOrEmpty(obj.Str("type"))) obj["type"] = "Opaque";
        FoldStringData(obj);
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx)
    {
        if (string.IsNullOrEmpty(obj.Str("type"))) obj["type"] = old.Str("type") ?? "Opaque";
        FoldStringData(obj);
    }

    private static void FoldStringData(JsonObject obj)
    {
        if (obj["stringData"] is JsonObject stringData)
        {
            var data = obj.ChildObject("data");
            foreach (var (k, v) in stringData) data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v.AsString() ?? ""));
        }
        obj.Remove("stringData");
    }

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        var decoded = new Dictionary<string, byte[]>();
        var total = 0;
        if (obj["data"] is JsonObject data)
            foreach (var (key, value) in data)
            {
                if (!NameRules.IsConfigKey(key))
                    errors.Add(FieldError.Invalid($"data[{key}]", JsonValue.Create(key), "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
                try { decoded[key] = Convert.FromBase64String(value.AsString() ?? ""); }
                catch (FormatException) { throw Errors.BadRequest($"Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0"); }
                total += decoded[key].Length;
            }
        if (total > MaxSecretBytes) errors.Add(FieldError.TooLong("data", null, MaxSecretBytes));
        var type = obj.Str("type");
        var dockerKey = type switch { "kubernetes.io/dockerconfigjson" => ".dockerconfigjson", "kubernetes.io/dockercfg" => ".dockercfg", _ => null };
        if (dockerKey is null) return;
        if (!decoded.TryGetValue(dockerKey, out var bytes))
        {
            errors.Add(FieldError.Required($"data[{dockerKey}]"));
            return;
        }
        try { _ = System.Text.Json.JsonDocument.Parse(bytes); }
        catch (System.Text.Json.JsonException e) { errors.Add(FieldError.Invalid($"data[{dockerKey}]", JsonValue.Create("<secret contents redacted>"), e.Message)); }
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx)
    {
        if (obj.Str("type") != old.Str("type")) errors.Add(FieldError.Invalid("type", obj["type"]?.DeepClone(), "field is immutable"));
        if (old.Bool("immutable") && !Json.DeepEquals(obj["data"], old["data"]))
            errors.Add(FieldError.Forbidden("data", "field is immutable when `immutable` is set"));
    }
}
