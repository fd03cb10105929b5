using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// authorization.k8s.io/v1 SelfSubjectRulesReview (pkg/registry/authorization/selfsubjectrulesreview/rest.go): the
/// rules the requesting user holds in <c>spec.namespace</c> (cluster-wide ones included), split into resource and
/// non-resource rules; what <c>kubectl auth can-i --list</c> prints. A namespace is required.
/// </summary>
public sealed class SelfSubjectRulesReviewStrategy : ReviewStrategy
{
    protected override JsonObject Review(RequestContext ctx, JsonObject spec)
    {
        var ns = spec.Str("namespace") ?? "";
        if (ns.Length == 0) throw Errors.BadRequest("no namespace on request");
        var errors = new List<string>();
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var rule in ctx.Server.Authorizer.RulesOf(ctx.User, ns, errors))
        {
            if (rule["nonResourceURLs"] is JsonArray { Count: > 0 } urls)
                nonResourceRules.Add(new JsonObject { ["verbs"] = rule["verbs"]?.DeepClone() ?? new JsonArray(), ["nonResourceURLs"] = urls.DeepClone() });
            else
            {
                var converted = new JsonObject { ["verbs"] = rule["verbs"]?.DeepClone() ?? new JsonArray() };
                foreach (var field in new[] { "apiGroups", "resources", "resourceNames" })
                    if (rule[field] is JsonArray { Count: > 0 } values) converted[field] = values.DeepClone();
                resourceRules.Add(converted);
            }
        }
        var status = new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = errors.Count > 0 };
        if (errors.Count > 0) status["evaluationError"] = string.Join(", ", errors);
        return status;
    }
}
