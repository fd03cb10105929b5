using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Storage;

namespace QuayIntegration.Emulators.Kubernetes.Authorization;

/// <summary>An authorizer's answer: allowed or not, and the reason Kubernetes reports (SubjectAccessReview status.reason, 403 messages).</summary>
public sealed record AuthorizationDecision(bool Allowed, string Reason)
{
    public static AuthorizationDecision Allow(string reason = "") => new(true, reason);
    public static AuthorizationDecision NoOpinion(string reason = "") => new(false, reason);
}

/// <summary>
/// kube-apiserver's authorizer chain as configured by default (<c>--authorization-mode=Node,RBAC</c>, with the
/// privileged-group authorizer in front): members of <c>system:masters</c> may do everything; everyone else gets exactly
/// what the stored ClusterRoleBindings and RoleBindings grant, read at every request like the RBAC authorizer's
/// informer-backed listers (plugin/pkg/auth/authorizer/rbac/rbac.go, pkg/registry/rbac/validation/rule.go
/// VisitRulesFor). Rules of ClusterRoleBindings are visited first, then the RoleBindings of the request's namespace;
/// the first rule that allows wins, and its binding is named in the reason. A binding to a missing role allows nothing
/// and its lookup error is reported (<c>RBAC: clusterrole.rbac.authorization.k8s.io "x" not found</c>).
/// </summary>
public sealed class RbacAuthorizer(ObjectStore store)
{
    public const string Group = "rbac.authorization.k8s.io";
    private static readonly string ClusterRoles = $"{Group}/clusterroles";
    private static readonly string ClusterRoleBindings = $"{Group}/clusterrolebindings";
    private static readonly string Roles = $"{Group}/roles";
    private static readonly string RoleBindings = $"{Group}/rolebindings";
    /// <summary>k8s.io/apiserver/pkg/authentication/user.SystemPrivilegedGroup.</summary>
    public const string PrivilegedGroup = "system:masters";

    public AuthorizationDecision Authorize(AuthorizationAttributes request)
    {
        // k8s.io/apiserver/pkg/authorization/authorizerfactory/builtin.go privilegedGroupAuthorizer: allow, no reason.
        if (request.User.Groups.Contains(PrivilegedGroup)) return AuthorizationDecision.Allow();
        var errors = new List<string>();
        foreach (var (source, rules) in RulesFor(request.User, request.Namespace, errors))
            foreach (var rule in rules)
                if (PolicyRuleMatcher.Allows(request, rule))
                    return AuthorizationDecision.Allow($"RBAC: allowed by {source}");
        return AuthorizationDecision.NoOpinion(errors.Count == 0 ? "" : "RBAC: " + Aggregate(errors));
    }

    /// <summary>Every rule that applies to the user in a namespace ("" = cluster-wide only), for SelfSubjectRulesReview.</summary>
    public IReadOnlyList<JsonObject> RulesOf(ApiUser user, string ns, List<string> errors) =>
        RulesFor(user, ns, errors).SelectMany(r => r.Rules).ToList();

    private IEnumerable<(string Source, IReadOnlyList<JsonObject> Rules)> RulesFor(ApiUser user, string ns, List<string> errors)
    {
        foreach (var binding in store.List(ClusterRoleBindings, null).Items)
        {
            if (AppliesTo(binding, user, "") is not { } subject) continue;
            var rules = RoleRules(binding, "", errors);
            if (rules is null) continue;
            var roleRef = binding["roleRef"];
            yield return ($"ClusterRoleBinding \"{binding.At("metadata", "name").AsString()}\" of {roleRef.Str("kind")} \"{roleRef.Str("name")}\" to {DescribeSubject(subject, "")}", rules);
        }
        if (ns.Length == 0) yield break;
        foreach (var binding in store.List(RoleBindings, ns).Items)
        {
            if (AppliesTo(binding, user, ns) is not { } subject) continue;
            var rules = RoleRules(binding, ns, errors);
            if (rules is null) continue;
            var roleRef = binding["roleRef"];
            yield return ($"RoleBinding \"{binding.At("metadata", "name").AsString()}/{ns}\" of {roleRef.Str("kind")} \"{roleRef.Str("name")}\" to {DescribeSubject(subject, ns)}", rules);
        }
    }

    /// <summary>The rules of the role a binding refers to (RoleBindings may name a Role of their namespace or a ClusterRole).</summary>
    private IReadOnlyList<JsonObject>? RoleRules(JsonObject binding, string ns, List<string> errors)
    {
        var kind = binding.At("roleRef", "kind").AsString();
        var name = binding.At("roleRef", "name").AsString() ?? "";
        JsonObject? role = kind switch
        {
            "ClusterRole" => store.Get(ClusterRoles, null, name),
            "Role" when ns.Length > 0 => store.Get(Roles, ns, name),
            _ => null,
        };
        if (role is null)
        {
            errors.Add(kind == "ClusterRole" ? $"clusterrole.{Group} \"{name}\" not found" : $"role.{Group} \"{name}\" not found");
            return null;
        }
        return role["rules"] is JsonArray rules ? rules.OfType<JsonObject>().ToList() : [];
    }

    /// <summary>pkg/registry/rbac/validation/rule.go appliesToUser: the first subject of the binding that names the user.</summary>
    private static JsonObject? AppliesTo(JsonObject binding, ApiUser user, string bindingNamespace)
    {
        if (binding["subjects"] is not JsonArray subjects) return null;
        foreach (var subject in subjects.OfType<JsonObject>())
        {
            var name = subject.Str("name") ?? "";
            var matches = subject.Str("kind") switch
            {
                "User" => user.Username == name,
                "Group" => user.Groups.Contains(name),
                // A RoleBinding's ServiceAccount subject without a namespace means the binding's own namespace.
                "ServiceAccount" => (subject.Str("namespace") is { Length: > 0 } saNs ? saNs : bindingNamespace) is { Length: > 0 } effective
                                    && user.Username == $"system:serviceaccount:{effective}:{name}",
                _ => false,
            };
            if (matches) return subject;
        }
        return null;
    }

    /// <summary>rbac.go describeSubject.</summary>
    private static string DescribeSubject(JsonObject subject, string bindingNamespace)
    {
        var kind = subject.Str("kind");
        var name = subject.Str("name");
        if (kind != "ServiceAccount") return $"{kind} \"{name}\"";
        var ns = subject.Str("namespace") is { Length: > 0 } n ? n : bindingNamespace;
        return $"{kind} \"{name}/{ns}\"";
    }

    /// <summary>utilerrors.NewAggregate's wording: one error as is, several as <c>[a, b]</c>.</summary>
    private static string Aggregate(List<string> errors) =>
        errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors.Distinct()) + "]";
}
