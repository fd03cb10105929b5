using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>admissionregistration.k8s.io/v1 MutatingWebhookConfiguration: v1 defaults and the required fields.</summary>
public sealed class MutatingWebhookConfigurationStrategy : ResourceStrategy
{
    public override StrategicMergeSchema? MergeSchema => BuiltInPatchMetadata.MutatingWebhookConfiguration;
    private static readonly HashSet<string> Fields = ["webhooks"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Webhooks", "integer", "", "Webhooks indicates the number of webhooks", 0, o => (o["webhooks"] as JsonArray)?.Count ?? 0)];

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx) => ApplyDefaults(obj);
    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx) => ApplyDefaults(obj);

    private static void ApplyDefaults(JsonObject obj)
    {
        if (obj["webhooks"] is not JsonArray webhooks) return;
        foreach (var w in webhooks.OfType<JsonObject>())
        {
            w["failurePolicy"] ??= "Fail";
            w["matchPolicy"] ??= "Equivalent";
            w["namespaceSelector"] ??= new JsonObject();
            w["objectSelector"] ??= new JsonObject();
            w["timeoutSeconds"] ??= 10;
            w["reinvocationPolicy"] ??= "Never";
            if (w["rules"] is JsonArray rules)
                foreach (var r in rules.OfType<JsonObject>()) r["scope"] ??= "*";
            if (w.At("clientConfig", "service") is JsonObject service) service["port"] ??= 443;
        }
    }

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        if (obj["webhooks"] is not JsonArray webhooks) return;
        var names = new HashSet<string>();
        for (var i = 0; i < webhooks.Count; i++)
        {
            var path = $"webhooks[{i}]";
            if (webhooks[i] is not JsonObject w) { errors.Add(FieldError.Required(path)); continue; }
            var name = w.Str("name") ?? "";
            if (name.Length == 0) errors.Add(FieldError.Required(path + ".name"));
            else if (!names.Add(name)) errors.Add(FieldError.Duplicate(path + ".name", JsonValue.Create(name)));
            else if (NameRules.ValidateDns1123Subdomain(name) is not null || !name.Contains('.'))
                errors.Add(FieldError.Invalid(path + ".name", JsonValue.Create(name), "should be a domain with at least three segments separated by dots"));
            var sideEffects = w.Str("sideEffects");
            if (sideEffects is null) errors.Add(FieldError.Required(path + ".sideEffects", "must specify one of None, NoneOnDryRun"));
            else if (sideEffects is not ("None" or "NoneOnDryRun")) errors.Add(FieldError.NotSupported(path + ".sideEffects", JsonValue.Create(sideEffects), ["None", "NoneOnDryRun"]));
            if (w["admissionReviewVersions"] is not JsonArray { Count: > 0 } versions)
                errors.Add(FieldError.Required(path + ".admissionReviewVersions", "must specify one of v1, v1beta1"));
            else if (!versions.StringList().Any(v => v is "v1" or "v1beta1"))
                errors.Add(FieldError.Invalid(path + ".admissionReviewVersions", versions.DeepClone(), "must include at least one of v1, v1beta1"));
            if (w.Long("timeoutSeconds") is { } t && t is < 1 or > 30)
                errors.Add(FieldError.Invalid(path + ".timeoutSeconds", JsonValue.Create(t), "the timeout value must be between 1 and 30 seconds"));
            if (w.Str("failurePolicy") is not ("Fail" or "Ignore") and var fp)
                errors.Add(FieldError.NotSupported(path + ".failurePolicy", JsonValue.Create(fp), ["Fail", "Ignore"]));
            var clientConfig = w["clientConfig"] as JsonObject;
            var hasUrl = clientConfig.Str("url") is { Length: > 0 };
            var hasService = clientConfig?["service"] is JsonObject;
            if (hasUrl == hasService) errors.Add(FieldError.Required(path + ".clientConfig", "exactly one of url or service is required"));
            if (hasUrl && !clientConfig.Str("url")!.StartsWith("https://", StringComparison.Ordinal))
                errors.Add(FieldError.Invalid(path + ".clientConfig.url", clientConfig!["url"]?.DeepClone(), "'https' is the only allowed URL scheme"));
        }
    }
}
