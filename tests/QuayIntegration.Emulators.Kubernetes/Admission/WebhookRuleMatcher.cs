using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Admission;

/// <summary>Whether a webhook's <c>rules[]</c> cover an operation on a resource (with <c>*</c> and <c>resource/*</c> wildcards).</summary>
public static class WebhookRuleMatcher
{
    public static bool Matches(JsonNode? rules, string operation, ResourceType type, string? subresource)
    {
        if (rules is not JsonArray list) return false;
        var resource = subresource is null ? type.Plural : $"{type.Plural}/{subresource}";
        foreach (var rule in list)
        {
            if (!AnyMatch(rule?["operations"], operation)) continue;
            if (!AnyMatch(rule?["apiGroups"], type.Group)) continue;
            if (!AnyMatch(rule?["apiVersions"], type.Version)) continue;
            if (!ResourceMatches(rule?["resources"], resource, type.Plural, subresource)) continue;
            var scope = rule.Str("scope") ?? "*";
            if (scope == "Cluster" && type.Namespaced) continue;
            if (scope == "Namespaced" && !type.Namespaced) continue;
            return true;
        }
        return false;
    }

    private static bool AnyMatch(JsonNode? values, string value) => values.StringList().Any(v => v == "*" || v == value);

    private static bool ResourceMatches(JsonNode? patterns, string resource, string plural, string? subresource) =>
        patterns.StringList().Any(p =>
            p == "*/*" || p == resource
            || (p == "*" && subresource is null)
            || (p == plural + "/*" && subresource is not null)
            || (p.StartsWith("*/", StringComparison.Ordinal) && subresource == p[2..]));
}
