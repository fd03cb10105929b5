using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// RoleBinding and ClusterRoleBinding (pkg/apis/rbac/validation/validation.go): <c>roleRef</c> is required, names a
/// <c>Role</c> (RoleBindings only) or a <c>ClusterRole</c> of <c>rbac.authorization.k8s.io</c>, and cannot change
/// after creation (kubectl apply then says to delete and recreate).
/// </summary>
public sealed class RoleBindingStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["subjects", "roleRef"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override string? ValidateName(string name) => RbacNames.Validate(name);

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        var roleRef = obj["roleRef"] as JsonObject;
        if (roleRef?.Str("apiGroup") != "rbac.authorization.k8s.io")
            errors.Add(FieldError.NotSupported("roleRef.apiGroup", JsonValue.Create(roleRef?.Str("apiGroup") ?? ""), ["rbac.authorization.k8s.io"]));
        var kinds = ctx.Type.Namespaced ? new[] { "Role", "ClusterRole" } : ["ClusterRole"];
        if (!kinds.Contains(roleRef?.Str("kind")))
            errors.Add(FieldError.NotSupported("roleRef.kind", JsonValue.Create(roleRef?.Str("kind") ?? ""), kinds));
        if (string.IsNullOrEmpty(roleRef?.Str("name"))) errors.Add(FieldError.Required("roleRef.name"));
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx)
    {
        if (!Json.DeepEquals(obj["roleRef"], old["roleRef"]))
            errors.Add(FieldError.InvalidRendered("roleRef", RenderRoleRef(obj["roleRef"]), "cannot change roleRef"));
    }

    /// <summary>Go's %#v-free rendering apimachinery uses for a struct value: <c>rbac.RoleRef{APIGroup:"…", Kind:"…", Name:"…"}</c>.</summary>
    private static string RenderRoleRef(JsonNode? roleRef) =>
        $"rbac.RoleRef{{APIGroup:\"{roleRef.Str("apiGroup")}\", Kind:\"{roleRef.Str("kind")}\", Name:\"{roleRef.Str("name")}\"}}";
}
