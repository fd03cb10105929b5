using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>coordination.k8s.io/v1 Lease: <c>leaseDurationSeconds</c> must be positive when set.</summary>
public sealed class LeaseStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["spec"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Holder", "string", "", "The holder of the lease", 0, o => o.At("spec", "holderIdentity")?.DeepClone())];

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        if (obj.At("spec").Long("leaseDurationSeconds") is <= 0 and var d)
            errors.Add(FieldError.Invalid("spec.leaseDurationSeconds", JsonValue.Create(d), "must be greater than 0"));
    }
}
