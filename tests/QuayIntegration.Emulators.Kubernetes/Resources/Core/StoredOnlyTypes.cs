using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>
/// Types that are stored and served but have no behaviour here (no pods run, no endpoints), so that the whole of
/// <c>deploy/</c> (<c>kubectl apply -k deploy/</c> and its overlays) can be installed as on a real cluster. (RBAC types: see
/// <c>Resources/Authorization/AuthorizationTypes.cs</c>.)
/// </summary>
public static class StoredOnlyTypes
{
    public static void Register(ResourceTypeRegistry r)
    {
        r.Add(new ResourceType
        {
            Group = "", Version = "v1", Plural = "services", Singular = "service", Kind = "Service", Namespaced = true, ShortNames = ["svc"],
            Categories = ["all"], Strategy = new ServiceStrategy(), Subresources = [new("status", "Service", ["get", "patch", "update"])],
        });
        r.Add(new ResourceType
        {
            Group = "apps", Version = "v1", Plural = "deployments", Singular = "deployment", Kind = "Deployment", Namespaced = true, ShortNames = ["deploy"],
            Categories = ["all"], Strategy = new PlainStrategy(new HashSet<string> { "spec", "status" }, tracksGeneration: true, statusSubresource: true, BuiltInPatchMetadata.Deployment),
            Subresources = [new("status", "Deployment", ["get", "patch", "update"])],
        });
        // deploy/'s policies: nothing enforces them here (no pods, no network, no evictions); they are stored as a real
        // API server would, so that kubectl installs deploy/ whole.
        r.Add(new ResourceType
        {
            Group = "networking.k8s.io", Version = "v1", Plural = "networkpolicies", Singular = "networkpolicy", Kind = "NetworkPolicy", Namespaced = true,
            ShortNames = ["netpol"], Strategy = new PlainStrategy(new HashSet<string> { "spec" }, tracksGeneration: true),
        });
        r.Add(new ResourceType
        {
            Group = "policy", Version = "v1", Plural = "poddisruptionbudgets", Singular = "poddisruptionbudget", Kind = "PodDisruptionBudget", Namespaced = true,
            ShortNames = ["pdb"], Strategy = new PlainStrategy(new HashSet<string> { "spec", "status" }, tracksGeneration: true),
        });
    }
}

/// <summary>core/v1 Service: stored with a cluster IP allocated from 172.30.0.0/16, as OpenShift's service network.</summary>
public sealed class ServiceStrategy : ResourceStrategy
{
    private int _next = 1;
    private static readonly HashSet<string> Fields = ["spec", "status"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override bool HasStatusSubresource => true;
    public override StrategicMergeSchema? MergeSchema => BuiltInPatchMetadata.Service;
    public override string? ValidateName(string name) => NameRules.ValidateDns1123Label(name);

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx)
    {
        var spec = obj.ChildObject("spec");
        spec["type"] ??= "ClusterIP";
        if (spec.Str("type") != "ExternalName" && spec.Str("clusterIP") is null or "")
        {
            var n = Interlocked.Increment(ref _next);
            spec["clusterIP"] = $"172.30.{n / 250 % 250}.{n % 250 + 1}";
            spec["clusterIPs"] = new JsonArray(spec.Str("clusterIP"));
        }
        obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx)
    {
        if (obj.At("spec", "clusterIP").AsString() is { Length: > 0 } ip && ip != old.At("spec", "clusterIP").AsString())
            errors.Add(FieldError.Invalid("spec.clusterIP", JsonValue.Create(ip), "field is immutable"));
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx)
    {
        // kubectl apply omits the allocated IP; keep it.
        if (obj.At("spec", "clusterIP") is null && old.At("spec", "clusterIP") is { } ip)
        {
            obj.ChildObject("spec")["clusterIP"] = ip.DeepClone();
            obj.ChildObject("spec")["clusterIPs"] = old.At("spec", "clusterIPs")?.DeepClone();
        }
    }
}
