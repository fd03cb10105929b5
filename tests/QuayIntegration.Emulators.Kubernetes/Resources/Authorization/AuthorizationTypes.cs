using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// rbac.authorization.k8s.io/v1 (Roles, ClusterRoles and their bindings, which the RBAC authorizer reads at every
/// request) and the review APIs of authorization.k8s.io/v1 and authentication.k8s.io/v1.
/// </summary>
public static class AuthorizationTypes
{
    public static void Register(ResourceTypeRegistry r)
    {
        r.Add(Rbac("clusterroles", "ClusterRole", false, new RoleStrategy(cluster: true)));
        r.Add(Rbac("roles", "Role", true, new RoleStrategy(cluster: false)));
        r.Add(Rbac("clusterrolebindings", "ClusterRoleBinding", false, new RoleBindingStrategy()));
        r.Add(Rbac("rolebindings", "RoleBinding", true, new RoleBindingStrategy()));

        string[] create = ["create"];
        r.Add(new ResourceType
        {
            Group = "authorization.k8s.io", Version = "v1", Plural = "selfsubjectaccessreviews", Singular = "selfsubjectaccessreview",
            Kind = "SelfSubjectAccessReview", Namespaced = false, Verbs = create, Strategy = new SelfSubjectAccessReviewStrategy(),
        });
        r.Add(new ResourceType
        {
            Group = "authorization.k8s.io", Version = "v1", Plural = "selfsubjectrulesreviews", Singular = "selfsubjectrulesreview",
            Kind = "SelfSubjectRulesReview", Namespaced = false, Verbs = create, Strategy = new SelfSubjectRulesReviewStrategy(),
        });
        r.Add(new ResourceType
        {
            Group = "authorization.k8s.io", Version = "v1", Plural = "subjectaccessreviews", Singular = "subjectaccessreview",
            Kind = "SubjectAccessReview", Namespaced = false, Verbs = create, Strategy = new SubjectAccessReviewStrategy(local: false),
        });
        r.Add(new ResourceType
        {
            Group = "authorization.k8s.io", Version = "v1", Plural = "localsubjectaccessreviews", Singular = "localsubjectaccessreview",
            Kind = "LocalSubjectAccessReview", Namespaced = true, Verbs = create, Strategy = new SubjectAccessReviewStrategy(local: true),
        });
        r.Add(new ResourceType
        {
            Group = "authentication.k8s.io", Version = "v1", Plural = "selfsubjectreviews", Singular = "selfsubjectreview",
            Kind = "SelfSubjectReview", Namespaced = false, Verbs = create, Strategy = new SelfSubjectReviewStrategy(),
        });
        r.Add(new ResourceType
        {
            Group = "authentication.k8s.io", Version = "v1", Plural = "tokenreviews", Singular = "tokenreview",
            Kind = "TokenReview", Namespaced = false, Verbs = create, Strategy = new TokenReviewStrategy(),
        });
    }

    private static ResourceType Rbac(string plural, string kind, bool namespaced, ResourceStrategy strategy) => new()
    {
        Group = "rbac.authorization.k8s.io", Version = "v1", Plural = plural, Singular = kind.ToLowerInvariant(), Kind = kind,
        Namespaced = namespaced, Strategy = strategy,
    };
}
