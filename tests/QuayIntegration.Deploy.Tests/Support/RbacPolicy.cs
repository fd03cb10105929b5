using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>One PolicyRule of a role bound to the subject; <see cref="Namespace"/> null = cluster-wide (ClusterRoleBinding).</summary>
public sealed record RbacRule(string Role, int Index, string? Namespace, IReadOnlyList<string> ApiGroups, IReadOnlyList<string> Resources,
    IReadOnlyList<string> Verbs, IReadOnlyList<string> ResourceNames)
{
    /// <summary>Verbs that never carry an object name, so a rule restricted by resourceNames can never allow them.</summary>
    private static readonly HashSet<string> CollectionVerbs = ["list", "watch", "create", "deletecollection"];

    /// <summary>Whether the rule allows the request, by kube-apiserver's RBAC authorizer's rules.</summary>
    public bool Allows(RecordedRequest r) =>
        (Namespace is null || r.Namespace == Namespace)
        && (ApiGroups.Contains("*") || ApiGroups.Contains(r.Group))
        && (Resources.Contains("*") || Resources.Contains(r.ResourcePath) || (r.Subresource is not null && Resources.Contains("*/" + r.Subresource)))
        && (Verbs.Contains("*") || Verbs.Contains(r.Verb))
        && (ResourceNames.Count == 0 || (r.Name is not null && ResourceNames.Contains(r.Name) && !CollectionVerbs.Contains(r.Verb)));

    public string Describe() => $"{Role} rule {Index} (apiGroups {List(ApiGroups)}, resources {List(Resources)}"
        + (ResourceNames.Count > 0 ? $", resourceNames {List(ResourceNames)}" : "") + (Namespace is null ? "" : $", namespace {Namespace}") + ")";

    private static string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => i.Length == 0 ? "\"\"" : i)) + "]";
}

/// <summary>
/// The rules that apply to one service account in an RBAC manifest: the ClusterRoles bound by ClusterRoleBindings
/// (cluster-wide), and the Roles or ClusterRoles bound by RoleBindings (in the binding's namespace only).
/// </summary>
public static class RbacPolicy
{
    public static IReadOnlyList<RbacRule> RulesFor(IReadOnlyList<Manifest> manifests, string serviceAccountNamespace, string serviceAccountName)
    {
        var rules = new List<RbacRule>();
        var bindings = manifests.Where(m => m.Kind is "ClusterRoleBinding" or "RoleBinding")
            .Where(m => m.Body["subjects"]?.AsArray().Any(s => (string?)s!["kind"] == "ServiceAccount" && (string?)s["name"] == serviceAccountName
                && (string?)s["namespace"] == serviceAccountNamespace) == true)
            .ToList();
        Assert.True(bindings.Count > 0, $"no binding in deploy/base/rbac.yaml names ServiceAccount {serviceAccountNamespace}/{serviceAccountName}");
        foreach (var binding in bindings)
        {
            var roleRef = binding.Body["roleRef"]!;
            var (kind, name) = ((string)roleRef["kind"]!, (string)roleRef["name"]!);
            // A RoleBinding grants only inside its namespace, whether it binds a Role or a ClusterRole.
            var scope = binding.Kind == "RoleBinding" ? binding.Namespace ?? throw new Xunit.Sdk.XunitException($"{binding} has no namespace") : null;
            var role = manifests.SingleOrDefault(m => m.Kind == kind && m.Name == name && (kind == "ClusterRole" || m.Namespace == binding.Namespace));
            Assert.True(role is not null, $"{binding} refers to {kind} {name}, which deploy/base/rbac.yaml does not define");
            var index = 0;
            foreach (var rule in role!.Body["rules"]?.AsArray() ?? [])
                rules.Add(new RbacRule($"{kind} {name}", index++, scope, Strings(rule!["apiGroups"]), Strings(rule["resources"]), Strings(rule["verbs"]), Strings(rule["resourceNames"])));
        }
        return rules;
    }

    private static IReadOnlyList<string> Strings(JsonNode? node) => node?.AsArray().Select(n => (string?)n ?? "").ToList() ?? [];
}
