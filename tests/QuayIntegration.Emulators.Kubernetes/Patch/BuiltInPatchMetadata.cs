namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>
/// The strategic-merge metadata (<c>patchStrategy:"merge"</c> and <c>patchMergeKey</c> struct tags) of the compiled-in
/// types this server serves, copied from k8s.io/api (core/v1/types.go, apps/v1/types.go,
/// admissionregistration/v1/types.go). Lists without a merge strategy there are atomic and are left out, so a patch
/// replaces them whole: e.g. ServiceAccount <c>imagePullSecrets</c>, Namespace <c>spec.finalizers</c>, RBAC
/// <c>rules</c>/<c>subjects</c>, webhook <c>rules</c>, container <c>args</c>/<c>command</c>/<c>envFrom</c>, pod
/// <c>tolerations</c>.
/// </summary>
public static class BuiltInPatchMetadata
{
    /// <summary>
    /// core/v1 PodSpec under <paramref name="prefix"/> (<c>spec</c> for a Pod, <c>spec.template.spec</c> for workloads):
    /// containers, initContainers and ephemeralContainers by name, and inside each container ports by containerPort,
    /// env by name, volumeMounts by mountPath, volumeDevices by devicePath; volumes, imagePullSecrets, schedulingGates and
    /// resourceClaims by name; hostAliases by ip; topologySpreadConstraints by topologyKey.
    /// </summary>
    public static (string Path, string? Key)[] PodSpec(string prefix)
    {
        var lists = new List<(string, string?)>
        {
            ($"{prefix}.volumes", "name"), ($"{prefix}.imagePullSecrets", "name"), ($"{prefix}.hostAliases", "ip"),
            ($"{prefix}.topologySpreadConstraints", "topologyKey"), ($"{prefix}.schedulingGates", "name"), ($"{prefix}.resourceClaims", "name"),
        };
        foreach (var containers in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            var c = $"{prefix}.{containers}";
            lists.Add((c, "name"));
            lists.Add(($"{c}.ports", "containerPort"));
            lists.Add(($"{c}.env", "name"));
            lists.Add(($"{c}.volumeMounts", "mountPath"));
            lists.Add(($"{c}.volumeDevices", "devicePath"));
        }
        return [.. lists];
    }

    /// <summary>A pod template's metadata merges like any object's (finalizers as a set, ownerReferences by uid).</summary>
    private static (string Path, string? Key)[] TemplateMetadata(string prefix) =>
        [($"{prefix}.metadata.finalizers", null), ($"{prefix}.metadata.ownerReferences", "uid")];

    /// <summary>apps/v1 Deployment: the pod template, and status.conditions by type.</summary>
    public static readonly StrategicMergeSchema Deployment = StrategicMergeSchema.Common
        .With(PodSpec("spec.template.spec")).With(TemplateMetadata("spec.template")).With(("status.conditions", "type"));

    /// <summary>core/v1 Service: spec.ports by port; status.conditions by type.</summary>
    public static readonly StrategicMergeSchema Service = StrategicMergeSchema.Common.With(("spec.ports", "port"), ("status.conditions", "type"));

    /// <summary>core/v1 Namespace: status.conditions by type (spec.finalizers is atomic).</summary>
    public static readonly StrategicMergeSchema Namespace = StrategicMergeSchema.Common.With(("status.conditions", "type"));

    /// <summary>admissionregistration.k8s.io/v1 MutatingWebhookConfiguration: webhooks by name (their rules are atomic).</summary>
    public static readonly StrategicMergeSchema MutatingWebhookConfiguration = StrategicMergeSchema.Common.With(("webhooks", "name"));
}
