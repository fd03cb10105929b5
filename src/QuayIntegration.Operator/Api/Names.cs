namespace QuayIntegration.Operator.Api;

/// <summary>Labels, annotations and finalizers the operator writes. Shared with the upstream operator where it had one.</summary>
public static class WellKnown
{
    /// <summary>Namespace finalizer, identical to the upstream Quay Bridge Operator so switching is in place.</summary>
    public const string NamespaceFinalizer = "quay.redhat.com/quayintegrations";

    /// <summary>Finalizer on the QuayIntegration so its cleanup policy is applied before it disappears.</summary>
    public const string IntegrationFinalizer = "quay.redhat.com/cleanup";

    /// <summary>Namespace annotation: the Quay organization this namespace maps to (after name mapping).</summary>
    public const string OrganizationAnnotation = "quay.redhat.com/organization";

    /// <summary>Namespace annotation: who owns the organization (see <see cref="Ownership"/>).</summary>
    public const string OwnershipAnnotation = "quay.redhat.com/organization-ownership";

    /// <summary>
    /// Namespace annotation a person sets to ask for new robot tokens: any value the operator has not acted on yet (a
    /// timestamp, say). The value acted on last is in the QuayNamespace's status.
    /// </summary>
    public const string RotateTokensAnnotation = "quay.redhat.com/rotate-robot-tokens";

    /// <summary>Label and annotations on the Secrets the operator writes; Secrets are only watched through this label.</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "quay-integration-operator";
    public const string RobotAnnotation = "quay.redhat.com/robot";
    public const string QuayHostAnnotation = "quay.redhat.com/host";
    /// <summary>On a robot's Secret: the service account it is for.</summary>
    public const string ServiceAccountAnnotation = "quay.redhat.com/service-account";

    /// <summary>
    /// Label on every namespace in the operator's scope, selected by the webhook's namespaceSelector (Exists): from
    /// the moment a namespace is in scope its Builds reach the webhook, which denies them until set up, instead of
    /// letting them push to the internal registry. Namespaces out of scope never carry it, so an operator outage
    /// cannot break their builds. Values: <see cref="ManagedNamespace"/>.
    /// </summary>
    public const string ManagedNamespaceLabel = "quay.redhat.com/managed";

    /// <summary>Values of <see cref="ManagedNamespaceLabel"/>.</summary>
    public static class ManagedNamespace
    {
        /// <summary>In scope, not (yet) set up: the webhook denies builds that would push to an ImageStreamTag.</summary>
        public const string Pending = "pending";
        /// <summary>Organization, robots, Secrets and service account links are in place.</summary>
        public const string Ready = "true";
    }

    public const string OpenShiftDisplayName = "openshift.io/display-name";
    public const string OpenShiftDescription = "openshift.io/description";
    public const string OpenShiftSccMcs = "openshift.io/sa.scc.mcs";

    /// <summary>Values of <see cref="OwnershipAnnotation"/>.</summary>
    public static class Ownership
    {
        /// <summary>Written only after Quay said the organization was absent, before creating it: if the organization
        /// exists while this is recorded, the operator created it (a crash happened before "owned" was written).</summary>
        public const string Pending = "pending";
        /// <summary>The operator created the organization and deletes it with the namespace.</summary>
        public const string Owned = "owned";
        /// <summary>The organization existed before the operator looked; it is never deleted.</summary>
        public const string External = "external";
    }
}
