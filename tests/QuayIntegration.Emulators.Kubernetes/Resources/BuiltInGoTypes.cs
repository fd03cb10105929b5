using QuayIntegration.Emulators.Kubernetes.Machinery.Typing;
using static QuayIntegration.Emulators.Kubernetes.Machinery.Typing.GoType;

namespace QuayIntegration.Emulators.Kubernetes.Resources;

/// <summary>
/// The Go types the compiled-in resources decode into (k8s.io/api core/v1, apps/v1, coordination/v1, events/v1,
/// rbac/v1, admissionregistration/v1; k8s.io/apimachinery meta/v1), for the fields whose JSON type a client can get
/// wrong. Every type shares ObjectMeta. Fields left out are not type-checked (resource.Quantity, probes, security
/// contexts, the OpenShift types beyond their metadata).
/// </summary>
public static class BuiltInGoTypes
{
    private static readonly Struct OwnerReference = Of("OwnerReference",
        ("apiVersion", GoString), ("kind", GoString), ("name", GoString), ("uid", GoString), ("controller", GoBool), ("blockOwnerDeletion", GoBool));

    private static readonly Struct ObjectMeta = Of("ObjectMeta",
        ("name", GoString), ("generateName", GoString), ("namespace", GoString), ("uid", GoString), ("resourceVersion", GoString),
        ("generation", GoInt64), ("creationTimestamp", Time), ("deletionTimestamp", Time), ("deletionGracePeriodSeconds", GoInt64),
        ("labels", StringMap), ("annotations", StringMap), ("ownerReferences", new SliceOf(OwnerReference)), ("finalizers", StringSlice),
        ("managedFields", Any));

    private static readonly Struct ObjectReference = Of("ObjectReference",
        ("kind", GoString), ("namespace", GoString), ("name", GoString), ("uid", GoString), ("apiVersion", GoString), ("resourceVersion", GoString), ("fieldPath", GoString));

    private static readonly Struct LocalObjectReference = Of("LocalObjectReference", ("name", GoString));

    /// <summary>A top-level kind: TypeMeta's apiVersion/kind, ObjectMeta, and the kind's own fields.</summary>
    private static Struct Kind(string name, params (string Field, GoType Type)[] fields) =>
        Of(name, [("apiVersion", GoString), ("kind", GoString), ("metadata", ObjectMeta), .. fields]);

    public static readonly Struct Plain = Kind("Object");

    public static readonly Struct Lease = Kind("Lease", ("spec", Of("LeaseSpec",
        ("holderIdentity", GoString), ("leaseDurationSeconds", GoInt32), ("acquireTime", MicroTime), ("renewTime", MicroTime),
        ("leaseTransitions", GoInt32), ("strategy", GoString), ("preferredHolder", GoString))));

    public static readonly Struct ConfigMap = Kind("ConfigMap", ("data", StringMap), ("binaryData", new MapOf(ByteSlice)), ("immutable", GoBool));

    public static readonly Struct Secret = Kind("Secret", ("data", new MapOf(ByteSlice)), ("stringData", StringMap), ("type", GoString), ("immutable", GoBool));

    public static readonly Struct ServiceAccount = Kind("ServiceAccount",
        ("secrets", new SliceOf(ObjectReference)), ("imagePullSecrets", new SliceOf(LocalObjectReference)), ("automountServiceAccountToken", GoBool));

    public static readonly Struct Namespace = Kind("Namespace",
        ("spec", Of("NamespaceSpec", ("finalizers", StringSlice))),
        ("status", Of("NamespaceStatus", ("phase", GoString), ("conditions", new SliceOf(Of("NamespaceCondition",
            ("type", GoString), ("status", GoString), ("lastTransitionTime", Time), ("reason", GoString), ("message", GoString)))))));

    private static readonly Struct EventSeries = Of("EventSeries", ("count", GoInt32), ("lastObservedTime", MicroTime));

    /// <summary>core/v1 Event; events.k8s.io/v1 Event is another view of the same object (see EventConversion).</summary>
    public static readonly Struct CoreEvent = Kind("Event",
        ("involvedObject", ObjectReference), ("reason", GoString), ("message", GoString),
        ("source", Of("EventSource", ("component", GoString), ("host", GoString))), ("firstTimestamp", Time), ("lastTimestamp", Time),
        ("count", GoInt32), ("type", GoString), ("eventTime", MicroTime), ("series", EventSeries), ("action", GoString),
        ("related", ObjectReference), ("reportingComponent", GoString), ("reportingInstance", GoString));

    public static readonly Struct EventsV1Event = Kind("Event",
        ("eventTime", MicroTime), ("series", EventSeries), ("reportingController", GoString), ("reportingInstance", GoString),
        ("action", GoString), ("reason", GoString), ("regarding", ObjectReference), ("related", ObjectReference), ("note", GoString),
        ("type", GoString), ("deprecatedSource", Of("EventSource", ("component", GoString), ("host", GoString))),
        ("deprecatedFirstTimestamp", Time), ("deprecatedLastTimestamp", Time), ("deprecatedCount", GoInt32));

    public static readonly Struct Service = Kind("Service", ("spec", Of("ServiceSpec",
        ("ports", new SliceOf(Of("ServicePort", ("name", GoString), ("protocol", GoString), ("appProtocol", GoString), ("port", GoInt32),
            ("targetPort", IntOrStr), ("nodePort", GoInt32)))),
        ("selector", StringMap), ("clusterIP", GoString), ("clusterIPs", StringSlice), ("type", GoString))));

    private static readonly Struct Container = Of("Container",
        ("name", GoString), ("image", GoString), ("command", StringSlice), ("args", StringSlice), ("workingDir", GoString),
        ("ports", new SliceOf(Of("ContainerPort", ("name", GoString), ("hostPort", GoInt32), ("containerPort", GoInt32), ("protocol", GoString), ("hostIP", GoString)))),
        ("env", new SliceOf(Of("EnvVar", ("name", GoString), ("value", GoString), ("valueFrom", Any)))),
        ("volumeMounts", new SliceOf(Of("VolumeMount", ("name", GoString), ("readOnly", GoBool), ("mountPath", GoString), ("subPath", GoString)))),
        ("imagePullPolicy", GoString));

    public static readonly Struct Deployment = Kind("Deployment",
        ("spec", Of("DeploymentSpec", ("replicas", GoInt32), ("minReadySeconds", GoInt32), ("revisionHistoryLimit", GoInt32), ("paused", GoBool),
            ("progressDeadlineSeconds", GoInt32),
            ("template", Of("PodTemplateSpec", ("metadata", ObjectMeta), ("spec", Of("PodSpec",
                ("containers", new SliceOf(Container)), ("initContainers", new SliceOf(Container)), ("serviceAccountName", GoString),
                ("imagePullSecrets", new SliceOf(LocalObjectReference)), ("terminationGracePeriodSeconds", GoInt64),
                ("volumes", new SliceOf(Of("Volume", ("name", GoString), ("secret", Any), ("emptyDir", Any), ("configMap", Any)))))))))),
        ("status", Any));

    private static readonly Struct PolicyRule = Of("PolicyRule",
        ("verbs", StringSlice), ("apiGroups", StringSlice), ("resources", StringSlice), ("resourceNames", StringSlice), ("nonResourceURLs", StringSlice));

    public static readonly Struct Role = Kind("Role", ("rules", new SliceOf(PolicyRule)));
    public static readonly Struct ClusterRole = Kind("ClusterRole", ("rules", new SliceOf(PolicyRule)), ("aggregationRule", Any));

    private static Struct Binding(string kind) => Kind(kind,
        ("subjects", new SliceOf(Of("Subject", ("kind", GoString), ("apiGroup", GoString), ("name", GoString), ("namespace", GoString)))),
        ("roleRef", Of("RoleRef", ("apiGroup", GoString), ("kind", GoString), ("name", GoString))));
    public static readonly Struct RoleBinding = Binding("RoleBinding");
    public static readonly Struct ClusterRoleBinding = Binding("ClusterRoleBinding");

    public static readonly Struct MutatingWebhookConfiguration = Kind("MutatingWebhookConfiguration", ("webhooks", new SliceOf(Of("MutatingWebhook",
        ("name", GoString),
        ("clientConfig", Of("WebhookClientConfig", ("url", GoString), ("caBundle", ByteSlice),
            ("service", Of("ServiceReference", ("namespace", GoString), ("name", GoString), ("path", GoString), ("port", GoInt32))))),
        ("rules", new SliceOf(Of("RuleWithOperations", ("operations", StringSlice), ("apiGroups", StringSlice), ("apiVersions", StringSlice),
            ("resources", StringSlice), ("scope", GoString)))),
        ("failurePolicy", GoString), ("matchPolicy", GoString), ("namespaceSelector", Any), ("objectSelector", Any), ("sideEffects", GoString),
        ("timeoutSeconds", GoInt32), ("admissionReviewVersions", StringSlice), ("reinvocationPolicy", GoString), ("matchConditions", Any)))));
}

public static class CertificateGoTypes
{
    public static readonly GoType.Struct CertificateSigningRequest = GoType.Of("CertificateSigningRequest",
        ("apiVersion", GoType.GoString), ("kind", GoType.GoString), ("metadata", BuiltInGoTypes.Plain.Fields["metadata"]),
        ("spec", GoType.Of("CertificateSigningRequestSpec", ("request", GoType.ByteSlice), ("signerName", GoType.GoString),
            ("expirationSeconds", GoType.GoInt32), ("usages", GoType.StringSlice), ("username", GoType.GoString), ("uid", GoType.GoString),
            ("groups", GoType.StringSlice), ("extra", GoType.Any))),
        ("status", GoType.Of("CertificateSigningRequestStatus", ("certificate", GoType.ByteSlice),
            ("conditions", new GoType.SliceOf(GoType.Of("CertificateSigningRequestCondition", ("type", GoType.GoString), ("status", GoType.GoString),
                ("reason", GoType.GoString), ("message", GoType.GoString), ("lastUpdateTime", GoType.Time), ("lastTransitionTime", GoType.Time)))))));
}

/// <summary>Which Go type each compiled-in resource decodes into.</summary>
public static class BuiltInGoTypeLookup
{
    /// <summary>The Go type of a compiled-in resource (ObjectMeta-only for those not modelled); null for custom resources.</summary>
    public static GoType.Struct? For(Machinery.ResourceType type) => (type.Group, type.Plural) switch
    {
        _ when !type.BuiltIn => null,
        ("coordination.k8s.io", "leases") => BuiltInGoTypes.Lease,
        ("", "configmaps") => BuiltInGoTypes.ConfigMap,
        ("", "secrets") => BuiltInGoTypes.Secret,
        ("", "serviceaccounts") => BuiltInGoTypes.ServiceAccount,
        ("", "namespaces") => BuiltInGoTypes.Namespace,
        ("", "events") => BuiltInGoTypes.CoreEvent,
        ("events.k8s.io", "events") => BuiltInGoTypes.EventsV1Event,
        ("", "services") => BuiltInGoTypes.Service,
        ("apps", "deployments") => BuiltInGoTypes.Deployment,
        ("rbac.authorization.k8s.io", "roles") => BuiltInGoTypes.Role,
        ("rbac.authorization.k8s.io", "clusterroles") => BuiltInGoTypes.ClusterRole,
        ("rbac.authorization.k8s.io", "rolebindings") => BuiltInGoTypes.RoleBinding,
        ("rbac.authorization.k8s.io", "clusterrolebindings") => BuiltInGoTypes.ClusterRoleBinding,
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations") => BuiltInGoTypes.MutatingWebhookConfiguration,
        ("certificates.k8s.io", "certificatesigningrequests") => CertificateGoTypes.CertificateSigningRequest,
        _ => BuiltInGoTypes.Plain,
    };
}
