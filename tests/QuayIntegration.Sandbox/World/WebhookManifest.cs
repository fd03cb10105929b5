using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Sandbox.World;

/// <summary>What the sandbox needs to know of <c>deploy/base/mutating_webhook_configuration.yaml</c>, read from the file itself.</summary>
public sealed record WebhookManifest(
    string Name,
    int WebhookCount,
    string? ServiceName,
    string? ServiceNamespace,
    int ServicePort,
    string Path,
    NamespaceSelector NamespaceSelector)
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
            NamespaceSelector.Parse(webhook["namespaceSelector"] as JsonObject));
    }
}

/// <summary>
/// The webhook's <c>namespaceSelector</c> (matchLabels and matchExpressions, as kube-apiserver evaluates them), so the
/// walkthrough can show that the namespace it set up is one whose Builds the webhook sees.
/// </summary>
public sealed record NamespaceSelector(IReadOnlyDictionary<string, string> MatchLabels, IReadOnlyList<(string Key, string Operator, IReadOnlyList<string> Values)> MatchExpressions)
{
    public bool IsEverything => MatchLabels.Count == 0 && MatchExpressions.Count == 0;

    public static NamespaceSelector Parse(JsonObject? selector) => new(
        (selector?["matchLabels"] as JsonObject)?.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "") ?? new Dictionary<string, string>(),
        selector?["matchExpressions"]?.AsArray().OfType<JsonObject>()
            .Select(e => (e.Str("key") ?? "", e.Str("operator") ?? "", (IReadOnlyList<string>)(e["values"]?.AsArray().Select(v => v!.GetValue<string>()).ToList() ?? [])))
            .ToList() ?? []);

    public bool Matches(IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        return MatchLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)
            && MatchExpressions.All(e => e.Operator switch
            {
                "In" => labels.TryGetValue(e.Key, out var v) && e.Values.Contains(v),
                "NotIn" => !labels.TryGetValue(e.Key, out var v) || !e.Values.Contains(v),
                "Exists" => labels.ContainsKey(e.Key),
                "DoesNotExist" => !labels.ContainsKey(e.Key),
                _ => throw new InvalidDataException($"unknown label selector operator {e.Operator}"),
            });
    }

    /// <summary>The keys the selector looks at, to show the namespace's values for them.</summary>
    public IEnumerable<string> Keys => MatchLabels.Keys.Concat(MatchExpressions.Select(e => e.Key)).Distinct();

    public override string ToString() => IsEverything ? "(every namespace)" : string.Join(", ",
        MatchLabels.Select(l => $"{l.Key}={l.Value}").Concat(MatchExpressions.Select(e =>
            e.Values.Count == 0 ? $"{e.Key} {e.Operator}" : $"{e.Key} {e.Operator} ({string.Join(", ", e.Values)})")));
}
