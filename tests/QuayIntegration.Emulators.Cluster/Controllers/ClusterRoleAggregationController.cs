using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// kube-controller-manager's clusterrole-aggregation controller
/// (pkg/controller/clusterroleaggregation/clusterroleaggregation_controller.go): a ClusterRole with an
/// <c>aggregationRule</c> gets as its rules those of every other ClusterRole whose labels match one of its
/// <c>clusterRoleSelectors</c>, in the order of the roles' names, each rule once; any ClusterRole change re-evaluates
/// every aggregated role, and a role whose rules already match is not written.
/// </summary>
public sealed class ClusterRoleAggregationController(k8s.Kubernetes client, ILogger logger) : IClusterController
{
    private const string AllAggregated = "*";

    public string Name => "clusterrole-aggregation";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<string>(Name, logger);
        var watch = ListWatches.ClusterRoles(client).RunAsync((_, _) => queue.Enqueue(AllAggregated), logger, cancellationToken);
        await Task.WhenAll(watch, queue.RunAsync(ReconcileAsync, workers: 1, cancellationToken));
    }

    private async Task<ReconcileResult> ReconcileAsync(string _, CancellationToken cancellationToken)
    {
        var roles = (await client.RbacAuthorizationV1.ListClusterRoleAsync(cancellationToken: cancellationToken)).Items
            .OrderBy(r => r.Metadata.Name, StringComparer.Ordinal).ToList();
        foreach (var aggregated in roles.Where(r => r.AggregationRule?.ClusterRoleSelectors is { Count: > 0 }))
        {
            var rules = new List<V1PolicyRule>();
            foreach (var source in roles)
            {
                if (source.Metadata.Name == aggregated.Metadata.Name) continue;
                if (!aggregated.AggregationRule.ClusterRoleSelectors.Any(s => LabelSelectors.Matches(s, source.Metadata.Labels))) continue;
                foreach (var rule in source.Rules ?? [])
                    if (!rules.Any(r => SameRule(r, rule))) rules.Add(rule);
            }
            var current = aggregated.Rules ?? [];
            if (current.Count == rules.Count && current.Zip(rules).All(p => SameRule(p.First, p.Second))) continue;
            aggregated.Rules = rules;
            try
            {
                await client.RbacAuthorizationV1.ReplaceClusterRoleAsync(aggregated, aggregated.Metadata.Name, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                return ReconcileResult.After(TimeSpan.FromMilliseconds(100));
            }
        }
        return ReconcileResult.Done;
    }

    private static bool SameRule(V1PolicyRule a, V1PolicyRule b) =>
        Same(a.Verbs, b.Verbs) && Same(a.ApiGroups, b.ApiGroups) && Same(a.Resources, b.Resources)
        && Same(a.ResourceNames, b.ResourceNames) && Same(a.NonResourceURLs, b.NonResourceURLs);

    private static bool Same(IList<string>? a, IList<string>? b) => (a ?? []).SequenceEqual(b ?? []);
}

/// <summary>metav1.LabelSelector matching: every matchLabels pair and every matchExpressions requirement.</summary>
public static class LabelSelectors
{
    public static bool Matches(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        if (selector.MatchLabels?.Any(p => !labels.TryGetValue(p.Key, out var v) || v != p.Value) == true) return false;
        foreach (var requirement in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(requirement.Key, out var value);
            var ok = requirement.OperatorProperty switch
            {
                "In" => has && (requirement.Values ?? []).Contains(value!),
                "NotIn" => !has || !(requirement.Values ?? []).Contains(value!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}
