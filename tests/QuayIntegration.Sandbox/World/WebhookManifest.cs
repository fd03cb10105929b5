using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Sandbox.World;

/// <summary>What the sandbox needs to know of <c>deploy/mutating_webhook_configuration.yaml</c>, read from the file itself.</summary>
public sealed record WebhookManifest(
    string Name,
    int WebhookCount,
    string? ServiceName,
    string? ServiceNamespace,
    int ServicePort,
    string Path,
    IReadOnlyDictionary<string, string> NamespaceMatchLabels)
{
    public static WebhookManifest Parse(JsonObject manifest)
    {
        var webhooks = manifest["webhooks"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        var webhook = webhooks.FirstOrDefault() ?? throw new InvalidDataException("the webhook configuration has no webhooks");
        var service = webhook["clientConfig"]?["service"] as JsonObject;
        var url = webhook.Str("clientConfig", "url");
        return new WebhookManifest(
            manifest.Str("metadata", "name") ?? throw new InvalidDataException("the webhook configuration has no name"),
            webhooks.Count,
            service.Str("name"),
            service.Str("namespace"),
            (int)(service?["port"]?.GetValue<long>() ?? 443),
            service.Str("path") ?? (url is null ? "/" : new Uri(url).AbsolutePath),
            (webhook["namespaceSelector"]?["matchLabels"] as JsonObject)?.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "")
                ?? new Dictionary<string, string>());
    }
}
